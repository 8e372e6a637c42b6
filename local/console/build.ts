import path from 'node:path';
import { build } from 'esbuild';

/** The directory the twin serves at `/`: index.html, styles.css and the bundle written here. */
export const CONSOLE_PUBLIC_DIR = path.join(__dirname, 'public');

/**
 * Bundles the console (src/main.js and the TypeScript modules it imports) into public/app.js. The browser code is
 * JavaScript type-checked through JSDoc (local/console/tsconfig.json adds the DOM library that the project's Node
 * tsconfig leaves out); the pure logic is TypeScript shared with the unit tests. Takes well under a second, so the
 * twin calls it at every start. Returns the directory to serve.
 */
export async function buildConsole(): Promise<string> {
  await build({
    entryPoints: [path.join(__dirname, 'src', 'main.js')],
    outfile: path.join(CONSOLE_PUBLIC_DIR, 'app.js'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    minify: false,
    logLevel: 'silent',
  });
  return CONSOLE_PUBLIC_DIR;
}
