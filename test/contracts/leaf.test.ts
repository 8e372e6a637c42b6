import { describe, expect, it } from 'vitest';
import { moduleImports, readSource, sourceFiles } from '../helpers/module-imports';

/**
 * contracts/ is the leaf every folder imports (docs/architecture.md, "Folders and contracts"): it may import zod,
 * Node built-ins and its own files, nothing else. ESLint enforces the same rule while editing (eslint.config.mjs);
 * this test checks the tree as committed, type-only imports included.
 */
function leafProblems(file: string, text: string): string[] {
  return moduleImports(file, text).flatMap(({ specifier, target }) => {
    if (target !== undefined) return target.startsWith('contracts/') ? [] : [`${file} imports ${specifier} (${target}), outside contracts/`];
    if (specifier === 'zod' || specifier.startsWith('zod/') || specifier.startsWith('node:')) return [];
    return [`${file} imports the package ${specifier}; contracts/ may import only zod and node: built-ins`];
  });
}

describe('contracts/', () => {
  it('imports only zod, node: built-ins and its own files', () => {
    const files = sourceFiles('contracts');
    expect(files.length).toBeGreaterThan(10);
    expect(files.flatMap((file) => leafProblems(file, readSource(file)))).toEqual([]);
  });

  it('would be caught importing lib/, Lambda code, the twin or another package, type-only imports included', () => {
    const text = [
      "import { MlopsTeamStack } from '../lib';",
      "import type { Caller } from '../lambdas/registry/caller';",
      "export type Twin = import('../local/twin').Twin;",
      "import { Duration } from 'aws-cdk-lib';",
      "import { z } from 'zod';",
      "import { readFileSync } from 'node:fs';",
      "import { MODEL_TASKS } from './model-tasks';",
    ].join('\n');
    expect(leafProblems('contracts/example.ts', text)).toEqual([
      'contracts/example.ts imports ../lib (lib), outside contracts/',
      'contracts/example.ts imports ../lambdas/registry/caller (lambdas/registry/caller), outside contracts/',
      'contracts/example.ts imports ../local/twin (local/twin), outside contracts/',
      'contracts/example.ts imports the package aws-cdk-lib; contracts/ may import only zod and node: built-ins',
    ]);
  });

  it('says in the first doc comment of each file who produces the contract and who consumes it, naming their folders', () => {
    const folder = /\b(lib|lambdas|pipelines|local|console|bin|tools)\//;
    const unsaid = sourceFiles('contracts').filter((file) => {
      const header = /\/\*\*([\s\S]*?)\*\//.exec(readSource(file))?.[1] ?? '';
      const [, producers = '', consumers = ''] = /Producers:([\s\S]*)Consumers:([\s\S]*)/.exec(header) ?? [];
      return !folder.test(producers) || !folder.test(consumers);
    });
    expect(unsaid).toEqual([]);
  });
});
