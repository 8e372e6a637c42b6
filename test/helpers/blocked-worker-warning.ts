import { afterAll, beforeEach, expect } from 'vitest';

/**
 * Vitest setup file: warns when a test file keeps its worker's event loop busy for 20 s or more at a stretch (a
 * synchronous synth that bundles every function, a spawnSync), naming the file and the test that was running. Vitest
 * answers its workers' reports over an RPC with a 60 s timeout that a worker blocked that long cannot meet: the run then
 * fails with "Timeout calling onTaskUpdate", naming no test. The warning names the culprit well before it gets there.
 */
const CHECK_EVERY_MS = 1000;
/** 20 s, or MLOPS_BLOCKED_WORKER_WARN_MS (the warning's own test sets a short one). */
const WARN_AFTER_MS = Number(process.env.MLOPS_BLOCKED_WORKER_WARN_MS ?? 20_000);

let running = '(collecting or a beforeAll hook)';
let runningAtLastCheck = running;
let last = performance.now();
beforeEach(() => {
  running = expect.getState().currentTestName ?? running;
});

const timer = setInterval(() => {
  const now = performance.now();
  const blocked = now - last - CHECK_EVERY_MS;
  last = now;
  if (blocked >= WARN_AFTER_MS) {
    // Vitest may go on to the next test without a turn of the event loop: the culprit is any test from the first to the last named.
    const tests = running === runningAtLastCheck ? `"${running}"` : `from "${runningAtLastCheck}" to "${running}"`;
    process.stderr.write(`blocked worker: ${expect.getState().testPath} held its event loop ${(blocked / 1000).toFixed(0)} s, in ${tests}\n`);
  }
  runningAtLastCheck = running;
}, CHECK_EVERY_MS);
timer.unref();
afterAll(() => clearInterval(timer));
