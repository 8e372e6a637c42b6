import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOnce, COMPLETE_MARKER } from '../../../local/services/build-once';

/** A build that writes one file after a pause, counting its calls. */
function countingBuild(directory: string, pauseMs = 200) {
  const calls = { count: 0 };
  const build = async () => {
    calls.count++;
    mkdirSync(directory);
    await sleep(pauseMs);
    writeFileSync(join(directory, 'built.txt'), 'built');
    return JSON.stringify({ build: calls.count });
  };
  return { calls, build };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('building a cache directory once', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'build-once-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('builds once for concurrent callers, the others waiting for the marker', async () => {
    const directory = join(scratch, 'concurrent');
    const { calls, build } = countingBuild(directory);

    const results = await Promise.all([1, 2, 3].map(() => buildOnce({ directory, build, pollMs: 20 })));

    expect(calls.count).toBe(1);
    expect(results.sort()).toEqual(['built', 'found', 'found']);
    expect(JSON.parse(readFileSync(join(directory, COMPLETE_MARKER), 'utf8'))).toEqual({ build: 1 });
    expect(existsSync(`${directory}.lock`)).toBe(false);
  });

  it('finds a built directory without building', async () => {
    const directory = join(scratch, 'found');
    const first = countingBuild(directory);
    await buildOnce({ directory, build: first.build });
    const second = countingBuild(directory);

    expect(await buildOnce({ directory, build: second.build })).toBe('found');
    expect(second.calls.count).toBe(0);
  });

  it('takes over the lock of a process that died, and rebuilds its half-built directory', async () => {
    const directory = join(scratch, 'stale');
    mkdirSync(`${directory}.lock`, { recursive: true });
    writeFileSync(join(`${directory}.lock`, 'owner.json'), JSON.stringify({ pid: deadPid(), token: 'dead-builder' }));
    mkdirSync(directory);
    writeFileSync(join(directory, 'half.txt'), 'half');
    const { calls, build } = countingBuild(directory);

    expect(await buildOnce({ directory, build, pollMs: 20 })).toBe('built');
    expect(calls.count).toBe(1);
    expect(readdirSync(directory).sort()).toEqual([COMPLETE_MARKER, 'built.txt']);
    expect(readdirSync(scratch).filter((entry) => entry.startsWith('stale.lock'))).toEqual([]);
  });

  it('waits for a live owner, telling whom it waits for', async () => {
    const directory = join(scratch, 'waiting');
    const { build } = countingBuild(directory, 500);
    const waitedFor: number[] = [];
    const builder = buildOnce({ directory, build });
    await sleep(50);

    expect(await buildOnce({ directory, build: async () => expect.fail('built twice'), onWait: (pid) => waitedFor.push(pid), pollMs: 20 })).toBe('found');
    expect(await builder).toBe('built');
    expect(waitedFor).toEqual([process.pid]);
  });

  it('removes what a failed build left and releases the lock, so the next caller builds afresh', async () => {
    const directory = join(scratch, 'failing');
    const failing = async () => {
      mkdirSync(directory);
      writeFileSync(join(directory, 'partial.txt'), 'partial');
      throw new Error('pip failed');
    };

    await expect(buildOnce({ directory, build: failing })).rejects.toThrow('pip failed');
    expect(existsSync(directory)).toBe(false);
    expect(existsSync(`${directory}.lock`)).toBe(false);
    const { calls, build } = countingBuild(directory);
    expect(await buildOnce({ directory, build })).toBe('built');
    expect(calls.count).toBe(1);
  });
});
