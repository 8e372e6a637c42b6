import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTeamConfig } from '../../contracts/team-config';
import { LoopSession, type VersionSummary } from '../../local/driver/loop-session';
import { startTeamTwin, type TeamTwin } from '../helpers/twin';

const CLASSES = ['low', 'medium', 'high'];

/** A team whose training container (test/fixtures/containers/defective-trainer) writes the defect its data names. */
const config = parseTeamConfig({
  team: 'quality',
  model: {
    name: 'defect-probe',
    task: 'multiclass-classification',
    label: 'level',
    classes: CLASSES,
    features: [
      { name: 'signal', type: 'numeric' },
      { name: 'noise', type: 'numeric' },
      { name: 'defect', type: 'numeric' },
    ],
  },
  training: {
    datasetUri: 'datasets/defect-probe/',
    container: { directory: join('test', 'fixtures', 'containers', 'defective-trainer') },
  },
  evaluation: { primaryMetric: 'accuracy', threshold: 0 },
});

/** 300 labelled rows whose `defect` column holds `defect` on every row. */
function dataset(defect: number): string {
  const rows = Array.from({ length: 300 }, (_, i) => `${(i % 3) + (i % 7) / 10},${(i * 37) % 11},${defect},${CLASSES[i % 3]}`);
  return ['signal,noise,defect,level', ...rows].join('\n');
}

interface RunView {
  executionName: string;
  status: string;
  error?: string;
  reason?: string;
  cause?: string;
}

/**
 * Broken container outputs through the synthesized training pipeline in the twin: each ends in a failed run whose
 * registry row (what the console's model page lists) names the problem, and registers nothing. The control run
 * of the same container with a valid model registers a version, so the failures are the defects' doing.
 */
describe('defective training containers in the twin', () => {
  let team: TeamTwin;
  let session: LoopSession;
  const runs = new Map<number, RunView>();

  beforeAll(async () => {
    team = await startTeamTwin({ timeScale: 600, config });
    session = new LoopSession(team.twin, config);
    const bucket = team.twin.output('ArtifactBucketName');
    for (const defect of [0, 1, 2, 3, 4, 5]) {
      await session.uploadDataset({ fileName: `defect-${defect}/data.csv`, body: dataset(defect), contentType: 'text/csv' });
      const name = `defect-${defect}`;
      const arn = await session.startTraining(name, `defect ${defect}`, `s3://${bucket}/datasets/defect-probe/defect-${defect}/`);
      await session.execution(arn).done;
    }
    const listed = await session.api<{ runs: RunView[] }>('GET', `/models/${config.model.name}/runs`);
    for (const run of listed.runs) runs.set(Number(run.executionName.replace('defect-', '')), run);
  }, 600_000);

  afterAll(async () => {
    session?.close();
    await team?.stop();
  });

  it('registers the valid model of the control run, and only that one', async () => {
    expect(runs.get(0)?.status).toBe('succeeded');
    const versions: VersionSummary[] = await session.versions();
    expect(versions.map((v) => v.version)).toEqual([1]);
  });

  it.each([
    [1, 'InvalidModelOutputError', /^the training container wrote no model\.onnx to \/opt\/ml\/model \(found: metadata\.json\)$/],
    [2, 'InvalidModelOutputError', /\b4 columns\b.*\b3 features\b/],
    [3, 'InvalidModelOutputError', /^the model's output for row 1 of s3:\/\/.*\/validation\/data\.csv is \[NaN, NaN, NaN\]: NaN is not a probability/],
    [5, 'InvalidModelOutputError', /the class probabilities sum to [\d.]+, not 1 \(within 0\.0001\); does the model end in a softmax\?$/],
  ])('fails the run of defect %i with %s and a reason naming it', (defect, error, reason) => {
    const run = runs.get(defect);
    expect(run?.status).toBe('failed');
    expect(run?.error).toBe(error);
    expect(run?.reason).toMatch(reason);
  });

  it('fails the run of a crashed container with the reason it wrote to /opt/ml/output/failure', () => {
    const run = runs.get(4);
    expect(run?.status).toBe('failed');
    expect(run?.reason).toBe('AlgorithmError: the loss became NaN at epoch 3: lower learningRate');
  });
});
