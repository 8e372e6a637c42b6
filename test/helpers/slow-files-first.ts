import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The test files that take half a minute or more, longest first, as measured in whole runs on a busy machine (the twin's
 * drills and end-to-end loops, the packed package installed and synthesized, the browser, the Python environments,
 * a million rows scored, the property tests against scipy). Started first, they run beside the short files on the
 * other workers instead of one of them starting last and leaving a worker idle to the end. A file missing here only
 * runs in vitest's order.
 */
const SLOW_FILES = [
  'test/local/driver/fault-drills.test.ts',
  'test/package/team-app.test.ts',
  'test/local/driver/shadow-test.test.ts',
  'test/lib/model-quality.e2e.test.ts',
  'test/examples/retention.e2e.test.ts',
  'test/console/console.browser.test.ts',
  'test/local/services/python-environments.test.ts',
  'test/examples/maintenance.e2e.test.ts',
  'test/local/defective-containers.test.ts',
  'test/local/services/containers/container-process.test.ts',
  'test/lambdas/scoring/batch-scoring-job.test.ts',
  'test/bin/score.test.ts',
  'test/lambdas/drift/statistics/smirnov.test.ts',
  'test/tools/api-reference.test.ts',
  'test/lib/team-stack-container.test.ts',
  'test/local/main.test.ts',
  'test/local/e2e.test.ts',
  'test/lib/team-stack.test.ts',
  'test/local/services/cloudformation/custom-resources.test.ts',
  'test/bin/models.test.ts',
  'test/lib/team-stack-iam.test.ts',
  'test/lib/approval-api.test.ts',
  'test/local/sharded-processing.test.ts',
  'test/lib/batch-scoring-schedule.test.ts',
  'test/local/services/containers/batch-jobs.test.ts',
  'test/lib/batch-scoring.test.ts',
  'test/lib/drift-monitor.twin.test.ts',
  'test/pipelines/processing/streaming-memory.test.ts',
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
