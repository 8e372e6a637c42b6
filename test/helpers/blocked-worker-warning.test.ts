import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const FIXTURE = join(__dirname, 'fixtures', 'blocked-worker');

describe('the blocked-worker warning (a setup file of the test run)', () => {
  it('names the test file that held its worker past the threshold, and how long', async () => {
    // GIVEN a test file that holds its worker's event loop 2.5 s, and a threshold of 1 s
    const vitest = join(__dirname, '..', '..', 'node_modules', 'vitest', 'vitest.mjs');
    const { stderr } = await promisify(execFile)(process.execPath, [vitest, 'run', '--config', join(FIXTURE, 'vitest.config.ts')], {
      env: { ...process.env, MLOPS_BLOCKED_WORKER_WARN_MS: '1000' },
    });
    // THEN the run warns, naming the file and the tests around the stall
    expect(stderr).toMatch(new RegExp(`blocked worker: ${join(FIXTURE, 'blocks.fixture.ts')} held its event loop [12] s, in .*"then waits"`));
  });
});
