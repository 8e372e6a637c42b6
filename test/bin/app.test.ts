import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');

function runApp(context: Record<string, string>) {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', 'app.ts')], {
    cwd: ROOT,
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
    encoding: 'utf8',
  });
}

describe('bin/app.ts', () => {
  it('fails on an invalid team config with one line per bad field and no stack trace', () => {
    // GIVEN a config with three bad fields
    const dir = mkdtempSync(join(tmpdir(), 'teams-'));
    const config = JSON.parse(readFileSync(join(ROOT, 'pipelines', 'teams', 'fraud.json'), 'utf8'));
    config.training.instanceType = 'm9.huge';
    config.deployment.canaryPercent = 80;
    config.inference.memoryMiB = 100;
    writeFileSync(join(dir, 'broken.json'), JSON.stringify(config));

    // WHEN the app synthesizes it
    const result = runApp({ team: 'broken', teamsDir: dir });

    // THEN it exits 1 naming each field and what is allowed
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('training.instanceType');
    expect(result.stderr).toContain('ml.m5.large');
    expect(result.stderr).toContain('deployment.canaryPercent');
    expect(result.stderr).toContain('inference.memoryMiB');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('fails on a missing team config by file name', () => {
    const result = runApp({ team: 'nobody', teamsDir: mkdtempSync(join(tmpdir(), 'teams-')) });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/nobody\.json/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
