import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTeamConfig, parseTeamConfig, TeamConfigError } from '../../contracts/team-config';

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
    const problems = problemsOf(raw).join('\n');
    expect(problems).toMatch(/^team: /m);
    expect(problems).toMatch(/^training\.instanceType: .*ml\.m5\.large/m);
    expect(problems).toMatch(/^drift\.psi\.critical: /m);
  });

  it('fills the access section with the default groups, no self-approval and no automation roles', () => {
    expect(loadTeamConfig(EXAMPLE).access).toEqual({
      approverGroup: 'approvers',
      operatorGroup: 'operators',
      developerGroup: 'developers',
      rolesClaim: 'cognito:groups',
      allowSelfApproval: false,
      automationRoles: [],
    });
  });

  it('names each bad field of the access section', () => {
    const raw = JSON.parse(JSON.stringify(loadTeamConfigRaw()));
    raw.access = { approverGroup: 'fraud approvers', automationRoles: [{ roleArn: 'release-bot', roles: ['admin'] }] };
    const problems = problemsOf(raw).join('\n');
    expect(problems).toMatch(/^access\.approverGroup: a group name is 1-128 letters, digits or _\.@\+-/m);
    expect(problems).toMatch(/^access\.automationRoles\.0\.roleArn: roleArn must be an IAM role ARN/m);
    expect(problems).toMatch(/^access\.automationRoles\.0\.roles\.0: /m);
  });

  it('has no scoring schedules unless the scoring section lists them, and names each bad field of one', () => {
    expect(parseTeamConfig(loadTeamConfigRaw()).scoring).toEqual({ schedules: [], maxConcurrency: 10 });
    const raw = loadTeamConfigRaw();
    const nightly = { expression: 'cron(0 2 * * ? *)', input: 's3://fraud-data/scoring/inputs/nightly.parquet', output: 's3://fraud-data/scoring/outputs/nightly', version: 3 };
    raw.scoring = { schedules: [nightly] };
    expect(parseTeamConfig(raw).scoring.schedules).toEqual([nightly]);
    raw.scoring = { schedules: [{ ...nightly, expression: 'nightly', output: 'outputs/nightly', when: 'always' }] };
    const problems = problemsOf(raw).join('\n');
    expect(problems).toMatch(/^scoring\.schedules\.0\.output: expected s3:\/\/bucket\/key/m);
    expect(problems).toMatch(/^scoring\.schedules\.0\.expression: expected rate\(\.\.\.\) or cron\(\.\.\.\)/m);
    expect(problems).toMatch(/^scoring\.schedules\.0: .*"when"/m);
  });

  it('sizes the fanned-out jobs: drift chunks of 64 MiB, 10 chunks at once and functions of 2048 MB by default, and names an out-of-range size', () => {
    const config = parseTeamConfig(loadTeamConfigRaw());
    expect(config.drift).toMatchObject({ chunkMiB: 64, maxConcurrency: 10, memoryMiB: 2048 });
    expect(config.scoring.maxConcurrency).toBe(10);
    const raw = loadTeamConfigRaw();
    raw.drift = { ...raw.drift, chunkMiB: 2048, maxConcurrency: 0, memoryMiB: 256 };
    raw.scoring = { maxConcurrency: 1.5 };
    const problems = problemsOf(raw).join('\n');
    expect(problems).toMatch(/^drift\.chunkMiB: .*1024/m);
    expect(problems).toMatch(/^drift\.maxConcurrency: /m);
    expect(problems).toMatch(/^drift\.memoryMiB: .*512/m);
    expect(problems).toMatch(/^scoring\.maxConcurrency: .*int/m);
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

describe('team config: multiclass, containers, instances and spot', () => {
  /** A valid multiclass team with its own training container, to break one field at a time. */
  const multiclassRaw = () => {
    const raw = loadTeamConfigRaw();
    raw.model.task = 'multiclass-classification';
    raw.model.classes = ['low', 'medium', 'high'];
    raw.evaluation.primaryMetric = 'macroF1';
    raw.training.container = { directory: 'examples/maintenance/trainer' };
    delete raw.training.algorithm;
    return raw;
  };
  it('accepts a multiclass team with its classes and its training container', () => {
    expect(problemsOf(multiclassRaw())).toEqual([]);
  });

  it('refuses a multiclass model without classes', () => {
    const raw = multiclassRaw();
    delete raw.model.classes;
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^model\.classes: a multiclass-classification model lists its classes/)]);
  });

  it('refuses classes on a binary classifier', () => {
    const raw = loadTeamConfigRaw();
    raw.model.classes = ['a', 'b', 'c'];
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^model\.classes: classes apply to multiclass-classification; a binary-classification model has none/)]);
  });

  it('refuses a class listed twice, also when once as a number and once as a string', () => {
    const raw = multiclassRaw();
    raw.model.classes = [1, 2, '1'];
    expect(problemsOf(raw)).toEqual(['model.classes: class "1" is listed twice']);
  });

  it('refuses a multiclass model on the built-in trainer', () => {
    const raw = multiclassRaw();
    delete raw.training.container;
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^training\.container: the built-in algorithms train binary classifiers and regressors/)]);
  });

  it('refuses more than one instance for the built-in trainer, and allows it for a container', () => {
    const raw = loadTeamConfigRaw();
    raw.training.instanceCount = 2;
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^training\.instanceCount: the built-in trainer runs on 1 instance; 2 need a container/)]);
    const distributed = multiclassRaw();
    distributed.training.instanceCount = 2;
    expect(problemsOf(distributed)).toEqual([]);
  });

  it('refuses a spot wait shorter than the training time it includes', () => {
    const raw = loadTeamConfigRaw();
    raw.training.maxRuntimeMinutes = 120;
    raw.training.spot = { maxWaitMinutes: 60 };
    expect(problemsOf(raw)).toEqual(['training.spot.maxWaitMinutes: must be at least maxRuntimeMinutes (120): it counts the training time too, got 60']);
    raw.training.spot = { maxWaitMinutes: 120 };
    expect(problemsOf(raw)).toEqual([]);
  });

  it('wants exactly one of directory and imageUri in a container, training or processing', () => {
    const both = multiclassRaw();
    both.training.container = { directory: 'examples/maintenance/trainer', imageUri: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/t:1' };
    const neither = multiclassRaw();
    neither.training.container = { entryPoint: ['python3', 'train.py'] };
    neither.training.processing = { container: { command: ['process'] } };
    const exactlyOne = /give exactly one of directory \(a Dockerfile to build\) or imageUri \(an existing image\)/;
    expect(problemsOf(both)).toEqual([expect.stringMatching(new RegExp(`^training\\.container: ${exactlyOne.source}`))]);
    expect(problemsOf(neither)).toEqual([
      expect.stringMatching(new RegExp(`^training\\.container: ${exactlyOne.source}`)),
      expect.stringMatching(new RegExp(`^training\\.processing\\.container: ${exactlyOne.source}`)),
    ]);
  });
});

// A raw (unvalidated) config to break on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test breaks arbitrary fields of the raw JSON
function loadTeamConfigRaw(): any {
  return JSON.parse(readFileSync(EXAMPLE, 'utf8'));
}

/** The problems of a config, or [] when it is valid. */
function problemsOf(raw: unknown): string[] {
  try {
    parseTeamConfig(raw, 'fraud.json');
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(TeamConfigError);
    return (err as TeamConfigError).problems;
  }
}

describe('team config: quality', () => {
  it('defaults the quality section: hourly, a week of labels, 100 labelled predictions, labelled rows added to training', () => {
    const config = parseTeamConfig(loadTeamConfigRaw());
    expect(config.quality).toEqual({ schedule: 'rate(1 hour)', windowHours: 168, minLabelled: 100, addLabelledRowsToTraining: true });
  });

  it("refuses thresholds on a measure the task is not measured by, and a bad level, naming each", () => {
    const raw = loadTeamConfigRaw();
    raw.quality = { thresholds: { rmse: { critical: 3 }, auc: { critical: 1.5 } } };
    expect(problemsOf(raw)).toEqual([
      expect.stringMatching(/^quality\.thresholds\.auc\.critical: /),
      "quality.thresholds.rmse: a binary-classification model's quality is measured by auc, accuracy, logLoss, not rmse",
    ]);
  });
});
