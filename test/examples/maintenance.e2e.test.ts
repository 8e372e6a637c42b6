import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { unpackModelArchive } from '../../pipelines/common/model-archive';
import { getObjectByUri } from '../../pipelines/common/s3';
import { exampleTeamLoop } from '../helpers/example-team-loop';

/** The approval API's version view (lambdas/registry/views.ts), the parts checked here. */
interface VersionView {
  version: number;
  status: string;
  artifact: { uri: string };
  lineage: { image: string | null; codeVersion: string | null };
  metrics: Record<string, Record<string, number>>;
}

/**
 * The worked example (examples/maintenance/) through the twin, from the synthesized artifacts, as a team would run it:
 * its own data (made by its Python script), its PyTorch training container (run by the twin in the virtual environment
 * of its requirements.txt, with Debian's torch), a multiclass task. train -> approve -> deploy -> traffic -> drift ->
 * retraining with the same container -> a new version pending approval.
 */
describe('the maintenance team (PyTorch container, multiclass) in the local twin', () => {
  const loop = exampleTeamLoop('maintenance', { datasetFile: 'machine-readings.csv', seed: 7 });
  const { config } = loop;

  const version = (n: number) => loop.session.api<VersionView>('GET', `/models/${config.model.name}/versions/${n}`);

  it('trains, deploys v1 and registers v2 after the drift-triggered retraining', async () => {
    expect(loop.result.trainedVersion).toBe(1);
    expect((await version(1)).status).toBe('live');
    expect(loop.result.pendingVersion).toBe(2);
    expect((await version(2)).status).toBe('pending_approval');
    expect(loop.result.retrainExecution).toMatch(/^drift-/);
  });

  it("ran the team's PyTorch container for both versions: the same image, a softmax ONNX model with the team's classes", async () => {
    const [v1, v2] = [await version(1), await version(2)];
    expect(v1.lineage.image).toBeTruthy();
    expect(v2.lineage.image).toBe(v1.lineage.image);
    for (const v of [v1, v2]) {
      const { metadata } = await unpackModelArchive(await getObjectByUri(loop.session.s3, v.artifact.uri), v.artifact.uri);
      expect(metadata.framework).toMatch(/^pytorch /);
      expect(metadata.task).toBe('multiclass-classification');
      expect(metadata.labels).toEqual(config.model.classes);
      expect(Object.keys(v.metrics.holdout).sort()).toEqual(['accuracy', 'logLoss', 'macroAuc', 'macroF1']);
      expect(v.metrics.holdout.macroF1).toBeGreaterThanOrEqual(config.evaluation.threshold);
    }
  });

  it('kept the spot job checkpoints under each run prefix', async () => {
    const listing = await loop.session.s3.send(new ListObjectsV2Command({ Bucket: loop.team.twin.output('ArtifactBucketName'), Prefix: 'runs/' }));
    const checkpoints = (listing.Contents ?? []).map((o) => o.Key!).filter((key) => /^runs\/[^/]+\/checkpoints\/.+\.pt$/.test(key));
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
  });

  it('answers with a label and a probability per class that sum to 1', async () => {
    const holdout = await loop.session.holdout(1);
    const response = await fetch(new URL('invocations', loop.team.twin.output('InferenceUrl')), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: holdout.rows.slice(0, 5) }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { predictions: { label: string; probabilities: number[] }[]; modelVersion: number };
    expect(body.modelVersion).toBe(1);
    for (const prediction of body.predictions) {
      expect(config.model.classes).toContain(prediction.label);
      expect(prediction.probabilities).toHaveLength(config.model.classes!.length);
      expect(prediction.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      const best = prediction.probabilities.indexOf(Math.max(...prediction.probabilities));
      expect(prediction.label).toBe(config.model.classes![best]);
    }
  });

  it('counted predictions per class and raised the drift alarm that started the retraining', () => {
    const namespace = `MLOps/${config.team}`;
    const total = (metricName: string, dimensions: Record<string, string>, stat = 'Sum') =>
      loop.team.twin.metrics.query({ namespace, metricName, dimensions, stat, periodMs: 3_600_000 }, 0, Date.now() + 1).values.reduce((a, b) => a + b, 0);
    const perClass = config.model.classes!.map((label) => total('ClassPredictions', { Model: config.model.name, Class: String(label) }));
    expect(perClass.filter((count) => count > 0).length).toBeGreaterThanOrEqual(2);
    expect(total('DriftedFeatureShare', { Model: config.model.name }, 'Maximum')).toBeGreaterThanOrEqual(config.drift.driftedFeatureShare);
    // An alarm went to ALARM and its state-change event matched the retraining rule (it may be back to OK by now).
    const alarmEvents = loop.team.twin.events.recent.filter((r) => r.event.source === 'aws.cloudwatch' && r.matchedRules.length > 0);
    const raised = alarmEvents.filter((r) => (r.event.detail as { state: { value: string } }).state.value === 'ALARM');
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
});
