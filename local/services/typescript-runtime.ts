import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

/**
 * `node --import <this>` runs TypeScript entries and loads modules the way `npx tsx` does. Absolute, because the
 * child's working directory (an asset in cdk.out, possibly in a temp dir) has no node_modules to resolve `tsx` from.
 */
export const TSX_IMPORT = pathToFileURL(require.resolve('tsx')).href;

/** The project's node_modules: a container's dependencies, which its image would install, come from here. */
export const PROJECT_NODE_MODULES = join(dirname(require.resolve('tsx/package.json')), '..');
