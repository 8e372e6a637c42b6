import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../bin/commands/drift';
import { ksTest } from '../../lambdas/drift/statistics/ks';

const dir = mkdtempSync(join(tmpdir(), 'mlops-drift-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csv(name: string, header: string[], rows: (string | number)[][]): string {
  const file = join(dir, name);
  writeFileSync(file, [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
  return file;
}

async function mlopsDrift(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

// Deterministic columns: amount on a grid, channel cycling through three categories.
const rowsWith = (n: number, shift: number, channels: string[]) =>
  Array.from({ length: n }, (_, i) => [((i * 37) % 101) + shift, i % 24, channels[i % channels.length]]);
const header = ['amount', 'hour', 'channel'];
const baseline = csv('baseline.csv', header, rowsWith(600, 0, ['web', 'app', 'pos']));
const same = csv('same.csv', header, rowsWith(400, 0, ['web', 'app', 'pos']));
const drifted = csv('drifted.csv', header, rowsWith(400, 40, ['web', 'web', 'web', 'kiosk']));

describe('mlops drift', () => {
  it('exits 0 and prints a table when nothing drifted', async () => {
    const { code, stdout } = await mlopsDrift('--baseline', baseline, '--current', same, '--categorical', 'channel');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^feature\s+type\s+rows\s+psi\s+ks_d\s+p_value\s+verdict/);
    expect(stdout).toMatch(/^amount\s+numeric\s+400\s/m);
    expect(stdout).toContain('0 of 3 features drifted (0.0%; threshold 30.0%): no dataset drift');
  });

  it('exits 1 and reports per-feature statistics as JSON when the data drifted', async () => {
    const { code, stdout } = await mlopsDrift('--baseline', baseline, '--current', drifted, '--categorical', 'channel', '--json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ drifted: true, driftedFeatures: 2, baseline, current: drifted });
    const amount = report.features.find((f: { name: string }) => f.name === 'amount');
    // THEN the CLI compares whole columns: the same KS as on the full data
    const full = ksTest(
      rowsWith(600, 0, ['x']).map((r) => Number(r[0])),
      rowsWith(400, 40, ['x']).map((r) => Number(r[0])),
    );
    expect(amount.ks).toEqual(full);
    expect(amount.drifted).toBe(true);
    const channel = report.features.find((f: { name: string }) => f.name === 'channel');
    expect(channel.chiSquared.dof).toBe(3); // web, app, pos + the unseen "kiosk" pooled as other
    expect(report.features.find((f: { name: string }) => f.name === 'hour').drifted).toBe(false);
  });

  it('names the file, column and line of a value that is not a number', async () => {
    const bad = csv('bad.csv', header, [[1, 2, 'web'], ['n/a', 3, 'app']]);
    const { code, stderr } = await mlopsDrift('--baseline', baseline, '--current', bad, '--categorical', 'channel');
    expect(code).toBe(2);
    expect(stderr).toBe(`mlops drift: ${bad}, column "amount", line 3: "n/a" is not a number (pass --categorical amount if it is a category)`);
  });

  it('names a feature column missing from the current file', async () => {
    const narrow = csv('narrow.csv', ['amount', 'hour'], [[1, 2]]);
    const { code, stderr } = await mlopsDrift('--baseline', baseline, '--current', narrow);
    expect(code).toBe(2);
    expect(stderr).toBe(`mlops drift: ${narrow} has no column "channel" (a feature of ${baseline})`);
  });

  it('rejects missing options, unreadable files and bad thresholds with exit code 2', async () => {
    expect((await mlopsDrift('--baseline', baseline)).stderr).toContain('--baseline and --current are both required');
    const missingFile = await mlopsDrift('--baseline', join(dir, 'nope.csv'), '--current', same);
    expect(missingFile).toMatchObject({ code: 2, stderr: `mlops drift: cannot read ${join(dir, 'nope.csv')}: ENOENT` });
    const badAlpha = await mlopsDrift('--baseline', baseline, '--current', same, '--alpha', '2');
    expect(badAlpha.code).toBe(2);
    expect(badAlpha.stderr).toMatch(/^mlops drift: alpha: /);
    expect((await mlopsDrift('--baseline', baseline, '--current', same, '--bins', '1')).stderr).toContain('--bins must be an integer from 2 to 1000, got "1"');
  });
});
