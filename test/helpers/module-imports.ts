import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const REPO_ROOT = resolve(__dirname, '..', '..');

/** One module a source file imports: the specifier as written and, for a relative one, the repository path it names. */
export interface ModuleImport {
  readonly specifier: string;
  /** Repository-relative path (no extension resolution) for `./` and `../` specifiers; undefined for packages. */
  readonly target?: string;
}

/**
 * Every module a file's text imports, as TypeScript's pre-processor finds them: import and export declarations,
 * `import type`, dynamic `import()`, `require()`, and the `import('...')` types of JSDoc comments (for the console's
 * JavaScript, which ESLint does not read).
 */
export function moduleImports(file: string, text: string): ModuleImport[] {
  const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
  for (const match of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(match[1]);
  return [...new Set(specifiers)].map((specifier) =>
    specifier.startsWith('./') || specifier.startsWith('../')
      ? { specifier, target: relative(REPO_ROOT, resolve(dirname(join(REPO_ROOT, file)), specifier)).split(sep).join('/') }
      : { specifier },
  );
}

/** Repository-relative paths of the TypeScript and JavaScript files under `folder`. */
export function sourceFiles(folder: string): string[] {
  return readdirSync(join(REPO_ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|js)$/.test(entry.name))
    .map((entry) => relative(REPO_ROOT, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

export const readSource = (file: string): string => readFileSync(join(REPO_ROOT, file), 'utf8');
