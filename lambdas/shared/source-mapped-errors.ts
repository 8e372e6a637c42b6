import type * as fs from 'node:fs';
import type * as nodeModule from 'node:module';
import type * as path from 'node:path';
import type * as url from 'node:url';

/**
 * Stack traces of a function bundle mapped to its TypeScript sources when they are logged, rather than as Node does
 * with `--enable-source-maps`: that reads and indexes the source map of every module as it loads, most of which no
 * logged error ever needs, and costs a cold start a visible share of its module load (bench/cold-start.ts). A function
 * on a cold-start budget (the inference function: MlopsFunction's `sourceMapsAtLoad: false`) maps its logged errors
 * here instead, with Node's own SourceMap, reading a bundle file's map (`<file>.map`, beside it) the first time one of
 * its frames is logged.
 */

/*
 * Built-ins required when an error is first logged, not imported: an ES module import of a built-in builds its whole
 * namespace as the bundle loads (lambdas/shared/node-builtins.ts), and most containers never log an error.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const builtins = () => ({
  readFileSync: (require('node:fs') as typeof fs).readFileSync,
  SourceMap: (require('node:module') as typeof nodeModule).SourceMap,
  path: require('node:path') as typeof path,
  fileURLToPath: (require('node:url') as typeof url).fileURLToPath,
});
/* eslint-enable @typescript-eslint/no-require-imports */

/** `at name (location:line:column)` or `at location:line:column`; locations are paths or file URLs. */
const FRAME = /^(\s*at (?:.*\()?)((?:file:\/\/|\/)[^\s()]+):(\d+):(\d+)(\)?)$/;

/** Each bundle file's map, or null when it has none (a file that is not part of a bundle, or already mapped). */
const maps = new Map<string, nodeModule.SourceMap | null>();

function mapOf(file: string): nodeModule.SourceMap | null {
  let map = maps.get(file);
  if (map === undefined) {
    const { readFileSync, SourceMap } = builtins();
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')) as nodeModule.SourceMapPayload);
    } catch {
      map = null;
    }
    maps.set(file, map);
  }
  return map;
}

/** `stack` with each frame in a bundle file located in its source (path, line, column); other frames as they are. */
export function sourceMappedStack(stack: string): string {
  const { path, fileURLToPath } = builtins();
  return stack
    .split('\n')
    .map((line) => {
      const frame = FRAME.exec(line);
      if (!frame) return line;
      const [, before, location, lineText, columnText, after] = frame;
      const file = location.startsWith('file:') ? fileURLToPath(location) : location;
      const entry = mapOf(file)?.findEntry(Number(lineText) - 1, Number(columnText) - 1);
      if (!entry || !('originalSource' in entry)) return line;
      return `${before}${path.resolve(path.dirname(file), entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}${after}`;
    })
    .join('\n');
}

/**
 * A copy of `error` for a log line, its stack (and its causes') mapped to the sources: same prototype, name, message
 * and own fields. The error itself is left as it is.
 */
export function withSourceMappedStack(error: Error): Error {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(error) as object) as Error, error);
  const own = (value: unknown) => ({ value, writable: true, configurable: true });
  Object.defineProperties(copy, { message: own(error.message), stack: own(error.stack === undefined ? undefined : sourceMappedStack(error.stack)) });
  if ('cause' in error) Object.defineProperty(copy, 'cause', own(error.cause instanceof Error ? withSourceMappedStack(error.cause) : error.cause));
  return copy;
}
