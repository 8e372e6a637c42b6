import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type * as esbuild from 'esbuild';

/** The directory the twin serves at `/`: index.html, styles.css and the bundle written here. */
const CONSOLE_PUBLIC_DIR = path.join(__dirname, 'public');
/** The files a console bundle consists of; what the twin serves and what ApprovalConsole deploys. */
export const CONSOLE_FILES = ['index.html', 'styles.css', 'app.js'] as const;

/**
 * The console (src/main.js and the TypeScript modules it imports) as one ES module. The browser code is JavaScript
 * type-checked through JSDoc (console/tsconfig.json adds the DOM library that the project's Node tsconfig leaves
 * out); the pure logic is TypeScript shared with the unit tests. Names are kept (no minification), so error codes
 * read as written.
 */
const bundleOptions = (outfile: string, sourcemap: boolean): esbuild.BuildOptions => ({
  entryPoints: [path.join(__dirname, 'src', 'main.js')],
  outfile,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  sourcemap,
  minify: false,
  logLevel: 'silent',
});

/**
 * esbuild, loaded when a bundle is built rather than imported: it is a development dependency, and the published
 * construct package (which ships the built console and imports this module through ApprovalConsole) has none.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const esbuildApi = (): typeof esbuild => require('esbuild');

/** Bundles into public/app.js (with a source map). Takes well under a second, so the twin calls it at every start. Returns the directory to serve. */
export async function buildConsole(): Promise<string> {
  await esbuildApi().build(bundleOptions(path.join(CONSOLE_PUBLIC_DIR, 'app.js'), true));
  return CONSOLE_PUBLIC_DIR;
}

/**
 * Writes the deployable bundle (CONSOLE_FILES, no source map) into `outputDirectory`, synchronously: ApprovalConsole's
 * asset bundles with it at synth.
 */
export function bundleConsoleInto(outputDirectory: string): void {
  mkdirSync(outputDirectory, { recursive: true });
  esbuildApi().buildSync(bundleOptions(path.join(outputDirectory, 'app.js'), false));
  for (const file of CONSOLE_FILES.filter((f) => f !== 'app.js')) copyFileSync(path.join(CONSOLE_PUBLIC_DIR, file), path.join(outputDirectory, file));
}
