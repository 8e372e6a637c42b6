import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The test files that take half a minute or more, longest first, as measured in a whole run on two workers (on a busy
 * machine): fault drills 187 s, the package packed, installed and synthesized 184 s, the shadow test 145 s, model quality end to end 100-130 s, the retention example 110-180 s, the browser 102 s, Python environments 90-100 s (they
 * always build three venvs), the maintenance example 90 s, defective containers 70 s, the container runner 70 s with a
 * cold venv cache, batch scoring of a million rows 45-135 s, mlops score 50 s, the Kolmogorov-Smirnov properties 62 s, the API reference 36 s, the maintenance stack's templates 62 s, npm start 55 s, then
 * 25-50 s each (sharded processing 43 s, a batch scoring schedule 44 s, the drift run in the twin 25 s).
 * Started first, they run beside the short files on the other worker instead of one of them starting last and leaving
 * a worker idle to the end. A file missing here only runs in vitest's order.
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
