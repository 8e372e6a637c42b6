import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The test files that take a minute or more in CI (or half a minute, and start late by vitest's own order), longest
 * first, as measured: fault drills ~195 s, the maintenance example ~155 s, npm start ~70 s, the browser ~55 s, the
 * platform loop ~50 s, then 35-45 s each. Started first, they run beside the short files on the other worker instead
 * of one of them starting last and leaving a worker idle to the end. A file missing here only runs in vitest's order.
 */
const SLOW_FILES = [
  'test/local/driver/fault-drills.test.ts',
  'test/examples/maintenance.e2e.test.ts',
  'test/local/main.test.ts',
  'test/local/console.browser.test.ts',
  'test/local/e2e.test.ts',
  'test/local/defective-containers.test.ts',
  'test/lambdas/registry/registry.test.ts',
  'test/local/services/states/state-machines.test.ts',
  'test/local/services/cloudformation/custom-resources.test.ts',
];

/** vitest's order (failed, then longest by its own cache, then largest), with SLOW_FILES ahead of everything. */
export class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const index = SLOW_FILES.indexOf(relative(file.project.config.root, file.moduleId).split('\\').join('/'));
      return index === -1 ? SLOW_FILES.length : index;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
