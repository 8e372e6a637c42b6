import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import { ensurePythonEnvironment } from '../../local/services/python-environments';
import { unpackModelArchive } from '../../pipelines/common/model-archive';
import { getObjectByUri } from '../../pipelines/common/s3';
import { trainingHyperparameters } from '../../pipelines/trainer/hyperparameters';
import { exampleTeamLoop } from '../helpers/example-team-loop';

const ROOT = join(__dirname, '..', '..');
const TRAINER = join(ROOT, 'examples', 'retention', 'trainer');
/** The issue's bar: the served probabilities equal scikit-learn's own within this. */
const PARITY_TOLERANCE = 1e-5;

/** The approval API's version view (lambdas/registry/views.ts), the parts checked here. */
interface VersionView {
  version: number;
  status: string;
  artifact: { uri: string };
  lineage: { image: string | null; codeVersion: string | null; executionName: string | null; holdoutUri: string | null };
  metrics: Record<string, Record<string, number>>;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What test/examples/retention-parity.py prints. */
interface SklearnPredictions {
  rows: number[][];
  probabilities: [number, number][];
  kinds: Record<string, number>;
}

/**
 * The second worked example (examples/retention/) through the twin, from the synthesized artifacts: the team's own
 * data (its stdlib Python script), its scikit-learn training container (run by the twin in a virtual environment made
 * from the image's requirements.txt), a binary task. train -> approve -> deploy -> traffic -> drift -> retraining with
 * the same container -> a new version pending approval; then the served probabilities against scikit-learn's own.
 */
describe('the retention team (scikit-learn container, binary) in the local twin', () => {
  const loop = exampleTeamLoop('retention', { datasetFile: 'customers.csv', seed: 11 });
  const { config, scratch } = loop;

  const version = (n: number) => loop.session.api<VersionView>('GET', `/models/${config.model.name}/versions/${n}`);

  it('trains, deploys v1 and registers v2 after the drift-triggered retraining', async () => {
    expect(loop.result.trainedVersion).toBe(1);
    expect((await version(1)).status).toBe('live');
    expect(loop.result.pendingVersion).toBe(2);
    expect((await version(2)).status).toBe('pending_approval');
    expect(loop.result.retrainExecution).toMatch(/^drift-/);
  });

  it("ran the team's scikit-learn container for both versions: the same image, a binary ONNX model with its metrics", async () => {
    const [v1, v2] = [await version(1), await version(2)];
    expect(v1.lineage.image).toBeTruthy();
    expect(v2.lineage.image).toBe(v1.lineage.image);
    expect(v2.lineage.codeVersion).toBe(v1.lineage.codeVersion);
    expect(v2.lineage.executionName).not.toBe(v1.lineage.executionName);
    for (const v of [v1, v2]) {
      const { metadata } = await unpackModelArchive(await getObjectByUri(loop.session.s3, v.artifact.uri), v.artifact.uri);
      expect(metadata.framework).toMatch(/^scikit-learn \d+\.\d+\.\d+ \(skl2onnx \d+\.\d+\.\d+\)$/);
      expect(metadata.algorithm).toBe('sklearn-gradient-boosting');
      expect(metadata.task).toBe('binary-classification');
      expect(metadata.labels).toEqual([0, 1]);
      expect(metadata.outputName).toBe('probabilities');
      expect(metadata.hyperparameters).toMatchObject({ n_estimators: 200, max_depth: 3, learning_rate: 0.05, seed: 42 });
      expect(Object.keys(v.metrics.holdout).sort()).toEqual(['accuracy', 'auc', 'f1', 'logLoss']);
      expect(v.metrics.holdout.auc).toBeGreaterThanOrEqual(config.evaluation.threshold);
    }
  });

  it('serves a label and the two class probabilities of each customer', async () => {
    const holdout = await loop.session.holdout(1);
    const { predictions, modelVersion } = await invoke(holdout.rows.slice(0, 5));
    expect(modelVersion).toBe(1);
    for (const prediction of predictions) {
      expect(prediction.probabilities).toHaveLength(2);
      expect(prediction.probabilities[0] + prediction.probabilities[1]).toBeCloseTo(1, 5);
      expect(prediction.label).toBe(prediction.probabilities[1] > prediction.probabilities[0] ? 1 : 0);
    }
  });

  it("kept the job's fitted estimator in its output.tar.gz; train.py run again on v1's splits gives v1's model.onnx byte for byte", async () => {
    const v1 = await version(1);
    await extractJobOutput(v1.artifact.uri, join(scratch, 'v1-output'));
    expect(existsSync(join(scratch, 'v1-output', 'estimator.joblib'))).toBe(true);
    // Same data, same hyperparameters, same pinned packages: the same graph as the one v1 serves.
    const processed = v1.lineage.holdoutUri!.replace(/holdout\/data\.csv$/, '');
    const { python } = await ensurePythonEnvironment({ requirementsFile: join(TRAINER, 'requirements.txt') });
    const root = join(scratch, 'opt-ml');
    for (const channel of ['train', 'validation']) {
      mkdirSync(join(root, 'input', 'data', channel), { recursive: true });
      writeFileSync(join(root, 'input', 'data', channel, 'data.csv'), await getObjectByUri(loop.session.s3, `${processed}${channel}/data.csv`));
    }
    mkdirSync(join(root, 'input', 'config'), { recursive: true });
    writeFileSync(join(root, 'input', 'config', 'hyperparameters.json'), JSON.stringify(trainingHyperparameters(config)));
    execFileSync(python, [join(TRAINER, 'train.py'), 'train'], { env: { PATH: process.env.PATH, SM_ROOT: root } });
    const served = await unpackModelArchive(await getObjectByUri(loop.session.s3, v1.artifact.uri), v1.artifact.uri);
    expect(sha256(readFileSync(join(root, 'model', 'model.onnx')))).toBe(sha256(served.onnx));
  });

  it(`serves the probabilities scikit-learn computes, within ${PARITY_TOLERANCE}, on holdout rows, tree thresholds and extremes`, async () => {
    const v1 = await version(1);
    // The estimator v1's training job fitted, from the job's output data (SageMaker's output.tar.gz beside model.tar.gz).
    const estimator = join(await extractJobOutput(v1.artifact.uri, join(scratch, 'v1-estimator')), 'estimator.joblib');
    const { python } = await ensurePythonEnvironment({ requirementsFile: join(TRAINER, 'requirements.txt') });
    const holdoutFile = join(scratch, 'holdout.csv');
    writeFileSync(holdoutFile, await getObjectByUri(loop.session.s3, v1.lineage.holdoutUri!));

    const sklearn = JSON.parse(
      execFileSync(
        python,
        [join(__dirname, 'retention-parity.py'), '--estimator', estimator, '--holdout', holdoutFile, '--holdout-rows', '300'],
        { maxBuffer: 64 * 1024 * 1024 },
      ).toString('utf8'),
    ) as SklearnPredictions;
    expect(sklearn.kinds.holdout).toBe(300);
    expect(sklearn.kinds.threshold).toBeGreaterThan(300);

    let maxDifference = 0;
    let worst = -1;
    for (let start = 0; start < sklearn.rows.length; start += 1000) {
      const { predictions, modelVersion } = await invoke(sklearn.rows.slice(start, start + 1000));
      expect(modelVersion).toBe(1);
      predictions.forEach((prediction, i) => {
        const expected = sklearn.probabilities[start + i];
        const difference = Math.max(...prediction.probabilities.map((p, c) => Math.abs(p - expected[c])));
        if (difference > maxDifference) [maxDifference, worst] = [difference, start + i];
      });
    }
    console.log(
      `retention parity: ${sklearn.rows.length} rows (${Object.entries(sklearn.kinds).map(([kind, n]) => `${n} ${kind}`).join(', ')}), ` +
        `max |served - predict_proba| = ${maxDifference.toExponential(3)}${worst >= 0 ? ` at row ${worst}` : ''}`,
    );
    expect(maxDifference).toBeLessThanOrEqual(PARITY_TOLERANCE);
  });

  it('raised the drift alarm that started the retraining', () => {
    const namespace = `MLOps/${config.team}`;
    const maximum = loop.team.twin.metrics
      .query({ namespace, metricName: 'DriftedFeatureShare', dimensions: { Model: config.model.name }, stat: 'Maximum', periodMs: 3_600_000 }, 0, Date.now() + 1)
      .values.reduce((a, b) => Math.max(a, b), 0);
    expect(maximum).toBeGreaterThanOrEqual(config.drift.driftedFeatureShare);
    const raised = loop.team.twin.events.recent.filter(
      (r) => r.event.source === 'aws.cloudwatch' && r.matchedRules.length > 0 && (r.event.detail as { state: { value: string } }).state.value === 'ALARM',
    );
    const driftAlarms = loop.team.twin.alarms.definitions.filter((a) => a.metrics.some((m) => /^(DriftedFeatureShare|PredictionDrift)/.test(m.metricName)));
    expect(raised.some((r) => driftAlarms.some((a) => r.event.resources.includes(a.arn)))).toBe(true);
    // Nothing of the loop went to a dead-letter queue (a drift run before the first registration once did).
    const deadLetterAlarms = loop.team.twin.alarms.definitions.filter((a) => a.arn.includes('dead-letters'));
    expect(deadLetterAlarms.length).toBeGreaterThan(0);
    const deadLettered = loop.team.twin.events.recent.filter(
      (r) => r.event.source === 'aws.cloudwatch' && (r.event.detail as { state: { value: string } }).state.value === 'ALARM' && deadLetterAlarms.some((a) => r.event.resources.includes(a.arn)),
    );
    expect(deadLettered.map((r) => r.event.resources)).toEqual([]);
  });

  /** The training job's output.tar.gz (beside the model.tar.gz a version registers) unpacked into `directory`. */
  async function extractJobOutput(modelArtifactUri: string, directory: string): Promise<string> {
    mkdirSync(directory, { recursive: true });
    const archive = join(directory, 'output.tar.gz');
    writeFileSync(archive, await getObjectByUri(loop.session.s3, modelArtifactUri.replace(/model\.tar\.gz$/, 'output.tar.gz')));
    await tar.x({ file: archive, cwd: directory });
    return directory;
  }

  /** One request to the inference function URL, as a client sends it. */
  async function invoke(instances: readonly (readonly number[])[]): Promise<{ predictions: { label: number; probabilities: number[] }[]; modelVersion: number }> {
    const response = await fetch(new URL('invocations', loop.team.twin.output('InferenceUrl')), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { predictions: { label: number; probabilities: number[] }[]; modelVersion: number };
  }
});
