import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

/** Written last into a built directory: a directory without it is half-built and never used. */
export const COMPLETE_MARKER = '.complete.json';

export interface BuildOnceOptions {
  /** The directory to build; it counts as built once it holds COMPLETE_MARKER. */
  readonly directory: string;
  /** Builds `directory` (it does not exist when called) and returns the marker's content. */
  readonly build: () => Promise<string>;
  /** Called once when another process holds the lock, with its pid. */
  readonly onWait?: (ownerPid: number) => void;
  /** @default 250 ms */
  readonly pollMs?: number;
}

const LockOwner = z.object({ pid: z.number().int().positive(), token: z.string().min(1) });

/**
 * Builds a cache directory once across processes (two vitest workers, two containers of one twin). The lock is the
 * directory `<directory>.lock`, created whole by one rename of a directory that already holds its owner's pid, so a
 * lock is never seen without an owner. The holder removes any half-built directory, builds in place and writes the
 * marker last; the others poll for the marker. A lock whose owner died is moved aside under a name made of its own
 * token, so that two processes that both saw it dead cannot move a live lock taken in between (the second rename finds
 * its target taken); the moved-aside locks are deleted after the next build.
 */
export async function buildOnce(options: BuildOnceOptions): Promise<'built' | 'found'> {
  const lock = `${options.directory}.lock`;
  let waitedFor: number | undefined;
  for (;;) {
    if (existsSync(join(options.directory, COMPLETE_MARKER))) return 'found';
    const token = randomUUID();
    if (await acquire(lock, token)) {
      try {
        if (existsSync(join(options.directory, COMPLETE_MARKER))) return 'found';
        await rm(options.directory, { recursive: true, force: true });
        const marker = await options.build().catch(async (err: unknown) => {
          await rm(options.directory, { recursive: true, force: true });
          throw err;
        });
        const written = join(options.directory, `${COMPLETE_MARKER}.${token}`);
        await writeFile(written, marker);
        await rename(written, join(options.directory, COMPLETE_MARKER));
        await removeMovedAsideLocks(lock);
        return 'built';
      } finally {
        await rm(lock, { recursive: true, force: true });
      }
    }
    const owner = await readOwner(lock);
    if (owner && !isAlive(owner.pid)) {
      await rename(lock, `${lock}.dead-${owner.token}`).catch(() => undefined);
      continue;
    }
    if (owner && waitedFor !== owner.pid) {
      waitedFor = owner.pid;
      options.onWait?.(owner.pid);
    }
    await sleep(options.pollMs ?? 250);
  }
}

async function acquire(lock: string, token: string): Promise<boolean> {
  const staging = `${lock}.new-${token}`;
  await mkdir(dirname(lock), { recursive: true });
  await mkdir(staging);
  await writeFile(join(staging, 'owner.json'), JSON.stringify({ pid: process.pid, token }));
  try {
    await rename(staging, lock);
    return true;
  } catch (err) {
    if (!['EEXIST', 'ENOTEMPTY'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    await rm(staging, { recursive: true, force: true });
    return false;
  }
}

/** The lock's owner, or undefined when the lock was just released (or is unreadable: then it is waited on). */
async function readOwner(lock: string): Promise<z.infer<typeof LockOwner> | undefined> {
  try {
    return LockOwner.parse(JSON.parse(await readFile(join(lock, 'owner.json'), 'utf8')));
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

async function removeMovedAsideLocks(lock: string): Promise<void> {
  const prefix = `${basename(lock)}.dead-`;
  for (const entry of await readdir(dirname(lock))) {
    if (entry.startsWith(prefix)) await rm(join(dirname(lock), entry), { recursive: true, force: true });
  }
}
