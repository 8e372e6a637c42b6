import { defineConfig } from 'vitest/config';
import { SlowFilesFirst } from './test/helpers/slow-files-first';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One temporary directory for the run, removed at its end (test/helpers/test-tmpdir.ts).
    globalSetup: ['test/helpers/test-tmpdir.ts'],
    // A warning naming any test file that blocks its worker long enough to endanger vitest's RPC (the file says why).
    setupFiles: ['test/helpers/blocked-worker-warning.ts'],
    // CDK synthesis with esbuild bundling and dynalite-backed integration tests are slow on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Three files at a time on CI's 2 cores: vitest's default for `run` is one fewer worker than cores (here 1, every file
    // in turn), but the twin files spend much of their time waiting on the twin's clock and on child processes. With
    // two, a whole run kept the cores 68% busy (user+sys 32.5 min in 23.9 min of wall time).
    maxWorkers: 3,
    // The minute-long files first, so that no worker is left running one of them alone at the end.
    sequence: { sequencer: SlowFilesFirst },
    // The JSON report is what .ci/run summarises as "N passed, N failed".
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
