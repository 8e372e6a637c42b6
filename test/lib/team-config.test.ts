import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTeamConfig, parseTeamConfig, TeamConfigError } from '../../lib/team-config';

const EXAMPLE = join(__dirname, '../../pipelines/teams/fraud.json');

describe('team config', () => {
  it('loads the example team with defaults filled in', () => {
    const config = loadTeamConfig(EXAMPLE);
    expect(config.team).toBe('fraud');
    expect(config.model.features.length).toBeGreaterThan(3);
    expect(config.training.volumeSizeGiB).toBe(30);
  });

  it('reports every bad field at once, each with its path', () => {
    const raw = JSON.parse(JSON.stringify(loadTeamConfigRaw()));
    raw.team = 'Fraud Team';
    raw.training.instanceType = 'm9.huge';
    raw.drift.psi.critical = -1;
    let error: unknown;
    try {
      parseTeamConfig(raw, 'fraud.json');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TeamConfigError);
    const problems = (error as TeamConfigError).problems.join('\n');
    expect(problems).toMatch(/^team: /m);
    expect(problems).toMatch(/^training\.instanceType: .*ml\.m5\.large/m);
    expect(problems).toMatch(/^drift\.psi\.critical: /m);
  });

  it('refuses a metric that does not fit the task', () => {
    const raw = loadTeamConfigRaw();
    raw.evaluation.primaryMetric = 'rmse';
    expect(() => parseTeamConfig(raw)).toThrow(/evaluation\.primaryMetric: a binary-classification model is judged by one of auc/);
  });

  it('refuses a feature listed twice and a label that is also a feature', () => {
    const raw = loadTeamConfigRaw();
    raw.model.features.push({ name: 'amount', type: 'numeric' });
    raw.model.label = 'hour_of_day';
    expect(() => parseTeamConfig(raw)).toThrow(/model\.features: feature "amount" is listed twice[\s\S]*model\.label/);
  });

  it('names the file when it is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'team-'));
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "team": ');
    expect(() => loadTeamConfig(file)).toThrow(/broken\.json[\s\S]*cannot read JSON/);
  });
});

// A raw (unvalidated) config to break on purpose.
function loadTeamConfigRaw(): any {
  return JSON.parse(readFileSync(EXAMPLE, 'utf8'));
}
