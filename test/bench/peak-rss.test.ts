import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { runWithPeakRss } from '../../bench/peak-rss';

const MIB = 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), 'peak-rss-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A child that touches `mib` MiB, then reports it under `MARKER`. */
function child(mib: number): string {
  const script = join(dir, `child-${mib}.ts`);
  writeFileSync(script, `const held = Buffer.alloc(${mib} * 2 ** 20, 1);\nprocess.stderr.write('HELD ' + JSON.stringify({ bytes: held.length }) + '\\n');\n`);
  return script;
}

describe('a bench child\'s peak RSS', () => {
  it('is its own high-water mark, not the resident set of the process that spawned it', async () => {
    // GIVEN this process holding 600 MiB more than a child will use
    const parent = Buffer.alloc(600 * MIB, 1);
    // WHEN a child that touches 10 MiB and one that touches 300 MiB run
    const small = await runWithPeakRss<{ bytes: number }>(child(10), [], {}, 'HELD', 'the small child');
    const large = await runWithPeakRss<{ bytes: number }>(child(300), [], {}, 'HELD', 'the large child');
    // THEN each reports what it touched and its runtime, far below what this process holds
    expect(process.memoryUsage().rss).toBeGreaterThan(600 * MIB);
    expect(small.reported.bytes).toBe(10 * MIB);
    expect(small.peakRss).toBeGreaterThan(10 * MIB);
    expect(small.peakRss).toBeLessThan(200 * MIB);
    expect(large.peakRss).toBeGreaterThan(300 * MIB);
    expect(large.peakRss).toBeLessThan(500 * MIB);
    expect(parent.length).toBe(600 * MIB);
  });

  it('fails a child that exits non-zero or prints no report, naming it', async () => {
    const failing = join(dir, 'failing.ts');
    writeFileSync(failing, `process.stderr.write('no luck\\n');\nprocess.exit(3);\n`);
    await expect(runWithPeakRss(failing, [], {}, 'HELD', 'the failing child')).rejects.toThrow('the failing child exited 3: no luck');
    await expect(runWithPeakRss(child(1), [], {}, 'NEVER', 'the silent child')).rejects.toThrow(/^the silent child exited 0: /);
  });
});
