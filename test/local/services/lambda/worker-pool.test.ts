import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../../../../local/services/lambda/worker-pool';

const spec = (taskRoot: string) => ({ env: { LAMBDA_TASK_ROOT: taskRoot, PATH: process.env.PATH ?? '' }, timeoutSeconds: 5, onLogLine: () => undefined });

describe('WorkerPool', () => {
  it('answers an invocation whose process cannot start (its code directory is gone) with a runtime error', async () => {
    // GIVEN a function whose code directory was removed, as when the twin stops while a schedule fires
    const pool = new WorkerPool(spec(join(tmpdir(), `removed-${process.pid}-${Date.now()}`)));
    // WHEN it is invoked THEN the invocation fails as Lambda reports a runtime failure, with no uncaught exception
    const outcome = await pool.invoke({}, 'arn:aws:lambda:eu-west-1:123456789012:function:gone');
    expect(outcome).toMatchObject({ ok: false, payload: { errorType: 'Runtime.ExitError', errorMessage: expect.stringContaining('ENOENT') } });
    pool.stop();
  });

  it('starts no process for an invocation that arrives after it stopped', async () => {
    const pool = new WorkerPool(spec(join(tmpdir(), 'never-started')));
    pool.stop();
    expect(await pool.invoke({}, 'arn:aws:lambda:eu-west-1:123456789012:function:late')).toEqual({
      ok: false,
      payload: { errorType: 'Runtime.Unavailable', errorMessage: 'the local twin is stopping' },
    });
  });

  it('drained, finishes the invocation it is running and then stops its environments', async () => {
    // GIVEN a pool running a slow invocation
    const root = mkdtempSync(join(tmpdir(), 'drain-'));
    writeFileSync(join(root, 'index.js'), 'exports.handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms)); return process.pid; };');
    const pool = new WorkerPool(spec(root));
    const running = pool.invoke({ ms: 800 }, 'arn:aws:lambda:eu-west-1:123456789012:function:slow');
    await new Promise((r) => setTimeout(r, 300));
    // WHEN it is drained (a configuration change retires $LATEST's environments)
    pool.drain();
    // THEN the invocation completes, and its process is gone afterwards
    const outcome = await running;
    expect(outcome.ok).toBe(true);
    const pid = (outcome as { payload: number }).payload;
    await new Promise((r) => setTimeout(r, 200));
    expect(() => process.kill(pid, 0)).toThrow();
    rmSync(root, { recursive: true, force: true });
  });
});

