import { describe, expect, it } from 'vitest';
import { moduleImports, readSource, sourceFiles } from '../helpers/module-imports';

/**
 * The console runs in the browser: of the repository it may import only its own files and contracts/ (the approval
 * API's and the twin's response types). ESLint checks its TypeScript; its JavaScript, JSDoc `import('...')` types
 * included, is checked here.
 */
describe('console/src', () => {
  it('imports nothing from lib/, lambdas/, local/, pipelines/ or bin/, only its own files and contracts/', () => {
    const outside = sourceFiles('console/src').flatMap((file) =>
      moduleImports(file, readSource(file))
        .filter(({ target }) => target !== undefined && !target.startsWith('console/') && !target.startsWith('contracts/'))
        .map(({ specifier }) => `${file}: ${specifier}`),
    );
    expect(outside).toEqual([]);
  });

  it('reads the twin and approval API bodies from contracts/', () => {
    const api = moduleImports('console/src/api.js', readSource('console/src/api.js')).map(({ target }) => target);
    expect(api).toEqual(expect.arrayContaining(['contracts/twin-api', 'contracts/registry-api']));
  });
});
