import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoop, type LoopResult } from '../../local/driver/full-loop';
import type { HoldoutTable } from '../../local/driver/holdout-replay';
import { LoopSession, waitFor } from '../../local/driver/loop-session';
import { teamDataset } from '../../local/driver/team-dataset';
import { datasetLineageKey } from '../../contracts/storage-layout';
import { getObjectByUri, listKeys } from '../../pipelines/common/s3';
import { sklearnQuality } from '../lambdas/quality/sklearn-reference';
import { exampleConfig } from '../helpers/synth';
import { startTeamTwin, type TeamTwin } from '../helpers/twin';

/**
 * ModelQuality end to end in the twin, on the synthesized stack: the example team trained and deployed (v1 live),
 * 1000 holdout rows sent to the function URL, their true labels posted to the approval API's feedback route; the
 * scheduled quality job's metrics for v1 must equal scikit-learn's on the same (served probability, label) pairs. Then
 * 1000 more predictions get labels that disagree with the truth: the AUC falls below the gate's threshold, the Critical
 * quality alarm fires and the rule -> trigger path starts a `quality-` retraining, whose processing reads the labelled
 * rows the quality job added beside the dataset.
 */
const config = exampleConfig();
const MINUTES = 60_000;
let team: TeamTwin;
let session: LoopSession;
let loop: LoopResult;
let holdout: HoldoutTable;
const lines: string[] = [];

beforeAll(async () => {
  team = await startTeamTwin({ timeScale: 600, config });
  session = new LoopSession(team.twin, config);
  loop = await runLoop(session, { until: 'deployed', dataset: teamDataset(config, { rows: 8000 }), driftShift: 2, report: (line) => lines.push(line) });
  holdout = await session.holdout(loop.deployedVersion!);
}, 900_000);

afterAll(async () => {
  console.log(lines.join('\n'));
  session?.close();
  await team?.stop();
});

interface Served {
  ids: string[];
  positive: number[];
  version: number;
}

/** Sends `rows` to the function URL in requests of 10, as a client does; the ids and positive-class probabilities it answered. */
async function predict(rows: readonly (readonly number[])[]): Promise<Served> {
  const served: Served = { ids: [], positive: [], version: 0 };
  for (let i = 0; i < rows.length; i += 10) {
    const response = await fetch(new URL('invocations', team.twin.output('InferenceUrl')), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: rows.slice(i, i + 10) }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { predictions: { probabilities: number[] }[]; modelVersion: number; predictionIds: string[] };
    served.ids.push(...body.predictionIds);
    served.positive.push(...body.predictions.map((p) => p.probabilities[1]));
    served.version = body.modelVersion;
  }
  return served;
}

/**
 * The function flushes its capture buffer with the first request after its flush interval (1 s): a frozen container
 * cannot flush in the background. A readiness probe a second after the traffic delivers the last requests' rows.
 */
async function flushCapture(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const response = await fetch(new URL('ping', team.twin.output('InferenceUrl')));
  expect(response.status).toBe(200);
}

/** Every datapoint of a quality metric of `dimensions`, by timestamp. */
function datapoints(metricName: string, dimensions: Record<string, string>): Map<number, number> {
  const series = team.twin.metrics.query({ namespace: `MLOps/${config.team}`, metricName, dimensions, stat: 'Maximum', periodMs: 1 }, 0, Number.MAX_SAFE_INTEGER);
  return new Map(series.timestamps.map((t, i) => [t, series.values[i]]));
}

const labelsPath = `/models/${config.model.name}/labels`;
const developer = `${config.access.developerGroup}@localhost`;

describe('model quality in the twin', () => {
  let first: Served;
  let truths: number[];

  it("publishes v1's quality on 1000 labelled predictions, equal to scikit-learn's on the same rows", async () => {
    // GIVEN 1000 predictions served by the live version, and their true labels sent to the feedback route
    const rows = holdout.rows.slice(0, 1000);
    truths = holdout.labels.slice(0, 1000);
    expect(rows).toHaveLength(1000);
    first = await predict(rows);
    await flushCapture();
    expect(first.version).toBe(loop.deployedVersion);
    const accepted = await session.api<{ accepted: number }>('POST', labelsPath, { labels: first.ids.map((predictionId, i) => ({ predictionId, label: truths[i] })) }, developer);
    expect(accepted.accepted).toBe(1000);

    // WHEN the scheduled quality job has joined all of them
    const dimensions = { Model: config.model.name, ModelVersion: String(first.version) };
    const at = await waitFor('quality', 3 * MINUTES, () => [...datapoints('LabelledPredictions', dimensions)].find(([, n]) => n === 1000)?.[0]).catch((err: Error) => {
      throw new Error(`${err.message}; labelled predictions of v${first.version} per run: ${[...datapoints('LabelledPredictions', dimensions).values()].join(', ') || 'none'}`);
    });

    // THEN its AUC, accuracy and log loss are scikit-learn's on the served probabilities and the labels
    const reference = sklearnQuality('binary-classification', { v1: { truths, predictions: first.positive } }).v1;
    expect(datapoints('QualityAuc', dimensions).get(at)).toBeCloseTo(reference.auc, 12);
    expect(datapoints('QualityAccuracy', dimensions).get(at)).toBeCloseTo(reference.accuracy, 12);
    expect(datapoints('QualityLogLoss', dimensions).get(at)).toBeCloseTo(reference.logLoss, 12);
    // AND the served version's quality (what the alarms watch) is the same
    expect(datapoints('QualityAuc', { Model: config.model.name }).get(at)).toBeCloseTo(reference.auc, 12);
    lines.push(`quality: v${first.version} AUC ${reference.auc.toFixed(4)} on 1000 labelled predictions (gate threshold ${config.evaluation.threshold})`);
    expect(reference.auc).toBeGreaterThan(config.evaluation.threshold);
  }, 10 * MINUTES);

  it('adds the labelled rows to the training dataset with a lineage record', async () => {
    const bucket = team.twin.output('ArtifactBucketName');
    const keys = await waitFor('labelled rows', MINUTES, async () => {
      const found = await listKeys(session.s3, bucket, `${config.training.datasetUri}production-labels/`);
      return found.length >= 2 ? found : undefined;
    });
    expect(keys.some((k) => k.endsWith('.csv'))).toBe(true);
    expect(keys.some((k) => k.endsWith('.lineage.json'))).toBe(true);
  });

  it('starts a quality retraining through the alarm, the rule and the trigger when labels disagree with the predictions', async () => {
    // GIVEN 1000 more predictions whose labels are the opposite of the truth
    const since = Date.now();
    const second = await predict(holdout.rows.slice(0, 1000));
    await flushCapture();
    await session.api('POST', labelsPath, { labels: second.ids.map((predictionId, i) => ({ predictionId, label: 1 - truths[i] })) }, developer);

    // WHEN the quality job has measured them
    const execution = await waitFor('quality retraining', 5 * MINUTES, () => session.executionsOf('TrainingStateMachineArn', since).find((e) => e.name.startsWith('quality-')));

    // THEN the served version's AUC went below the gate's threshold, the Critical alarm fired, and its rule started the run
    const auc = [...datapoints('QualityAuc', { Model: config.model.name }).values()].at(-1)!;
    expect(auc).toBeLessThan(config.evaluation.threshold);
    const alarm = team.twin.alarms.definitions.find((a) => a.name === `${config.team}-${config.model.name}-quality-auc-critical`);
    expect(alarm).toBeDefined();
    const raised = team.twin.events.recent.filter((r) => r.event.source === 'aws.cloudwatch' && r.event.resources.includes(alarm!.arn) && (r.event.detail as { state: { value: string } }).state.value === 'ALARM');
    expect(raised.length).toBeGreaterThan(0);
    expect(raised[0].matchedRules.length).toBeGreaterThan(0);
    expect(execution.input).toMatchObject({ trigger: 'quality' });
    lines.push(`quality: AUC ${auc.toFixed(4)} with disagreeing labels -> ${execution.name}`);

    // AND that retraining learned from what production saw: its processing read the labelled rows beside the dataset
    // (Whether its model passes the gate is the gate's call: trained on labels made to contradict the truth, it does not.)
    const done = await waitFor('quality retraining ended', 5 * MINUTES, () => (session.execution(execution.executionArn).status === 'RUNNING' ? undefined : session.execution(execution.executionArn)));
    lines.push(`quality: ${done.name} ${done.status}${done.error ? ` (${done.error})` : ''}`);
    const lineage = JSON.parse((await getObjectByUri(session.s3, `s3://${team.twin.output('ArtifactBucketName')}/${datasetLineageKey(done.name)}`)).toString('utf8')) as {
      sources: { uri: string }[];
      rowCount: number;
    };
    const added = lineage.sources.filter((source) => source.uri.includes('/production-labels/'));
    expect(added).toHaveLength(2);
    expect(lineage.rowCount).toBe(8000 + 2000);
  }, 15 * MINUTES);
});
