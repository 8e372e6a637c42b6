import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Comments and docs name repository files and npm scripts so a reader can follow them; a name that no longer exists
 * sends the reader nowhere. This test reads every comment in the source folders and every docs/*.md and README, and
 * checks each repository path they name exists (or lies in a build output .gitignore lists) and each `npm run <script>`
 * is a script of package.json.
 */
const ROOT = join(__dirname, '..', '..');
const SOURCE_FOLDERS = ['lib', 'lambdas', 'pipelines', 'local', 'bin', 'console/src', 'tools', 'contracts', 'bench'];
const TOP_LEVEL = ['lib', 'lambdas', 'pipelines', 'local', 'bin', 'console', 'tools', 'contracts', 'test', 'docs', 'examples', 'bench'];
/** A repository path: a top-level folder, then path characters (a placeholder or glob makes it a pattern, skipped). */
const PATH = new RegExp(`(?<![\\w./-])(?:${TOP_LEVEL.join('|')})/[\\w./<>{}*-]*[\\w/*>}]`, 'g');
const NPM_RUN = /npm run ([\w:-]+)/g;
/** Folders .gitignore lists are build outputs (`docs/api/` from TypeDoc): named in docs, absent from a clean checkout. */
const GENERATED = readFileSync(join(ROOT, '.gitignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim().replace(/^\//, ''))
  .filter((line) => line.endsWith('/') && !line.startsWith('#'));

function filesUnder(dir: string, keep: (file: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : filesUnder(path, keep);
    return keep(path) ? [path] : [];
  });
}

/** The comment text of a TypeScript file: block comments and line comments (a `//` inside a string is harmless). */
const commentsOf = (source: string): string[] => source.match(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g) ?? [];

/** Where each reference was found, as `file: reference`, for the references that do not resolve. */
function unresolved(file: string, texts: readonly string[]): string[] {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const problems: string[] = [];
  for (const text of texts) {
    for (const [path] of text.matchAll(PATH)) {
      if (/[<>{}*]/.test(path)) continue; // a pattern (`runs/<execution>/`, `lambdas/*/schemas.ts`), not one file
      const clean = path.replace(/[.:]+$/, '');
      if (GENERATED.some((folder) => `${clean}/`.startsWith(folder))) continue;
      if (!existsSync(join(ROOT, clean))) problems.push(`${relative(ROOT, file)}: ${clean}`);
    }
    for (const [, script] of text.matchAll(NPM_RUN)) {
      if (!(script in scripts)) problems.push(`${relative(ROOT, file)}: npm run ${script}`);
    }
  }
  return problems;
}

describe('references in comments and docs', () => {
  it('name only repository paths that exist and npm scripts package.json defines, in source comments', () => {
    const sources = SOURCE_FOLDERS.flatMap((folder) => filesUnder(join(ROOT, folder), (f) => /\.tsx?$/.test(f)));
    expect(sources.length).toBeGreaterThan(100);
    const problems = sources.flatMap((file) => unresolved(file, commentsOf(readFileSync(file, 'utf8'))));
    expect(problems).toEqual([]);
  });

  it('name only repository paths that exist and npm scripts package.json defines, in docs/*.md and the READMEs', () => {
    const docs = [
      ...filesUnder(join(ROOT, 'docs'), (f) => f.endsWith('.md')),
      ...['README.md', 'local/README.md'].map((f) => join(ROOT, f)).filter((f) => existsSync(f) && statSync(f).isFile()),
    ];
    expect(docs.length).toBeGreaterThan(3);
    const problems = docs.flatMap((file) => unresolved(file, [readFileSync(file, 'utf8')]));
    expect(problems).toEqual([]);
  });

  it('finds a path that does not exist and a script that is not defined', () => {
    const file = join(ROOT, 'lib', 'index.ts');
    expect(unresolved(file, ['// see lib/no-such-construct.ts and `npm run no-such-script`; runs/<execution>/ is a pattern'])).toEqual([
      'lib/index.ts: lib/no-such-construct.ts',
      'lib/index.ts: npm run no-such-script',
    ]);
    expect(unresolved(file, ['/** lib/private/prop-problems.ts, `npm run bench`, docs/architecture.md, docs/api/. */'])).toEqual([]);
  });
});
