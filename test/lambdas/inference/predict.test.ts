import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelSession } from '../../../lambdas/inference/model-session';
import { encodePrediction } from '../../../lambdas/inference/predict';
import { loadFixture } from './fixtures';

// The response encoding on outputs chosen to hit its edge cases (ties, NaN); the sessions only supply the labels.
let binary: ModelSession;
let multiclass: ModelSession;
beforeAll(async () => {
  [binary, multiclass] = await Promise.all([ModelSession.create(loadFixture('mlp-classifier')), ModelSession.create(loadFixture('wine-torch'))]);
});
afterAll(async () => Promise.all([binary.release(), multiclass.release()]));

const predictions = (session: ModelSession, data: number[], columns: number) =>
  JSON.parse(encodePrediction(session, { data: Float32Array.from(data), columns }, data.length / columns, 4, 'req').body).predictions;

describe('encodePrediction', () => {
  it('labels a multiclass row with its most probable class, the first one on a tie, and counts rows per class', () => {
    const output = { data: Float32Array.from([0.2, 0.5, 0.3, 0.4, 0.2, 0.4, 0.1, 0.1, 0.8]), columns: 3 };
    const prediction = encodePrediction(multiclass, output, 3, 4, 'req');
    expect(JSON.parse(prediction.body).predictions.map((p: { label: number }) => p.label)).toEqual([2, 1, 3]);
    expect(prediction.classCounts).toEqual([1, 1, 1]);
  });

  it('returns one prediction id per row, <requestId>:<row> in request order, JSON-escaped', () => {
    const output = { data: Float32Array.from([0.9, 0.1, 0.2, 0.8]), columns: 2 };
    expect(JSON.parse(encodePrediction(binary, output, 2, 4, 'a"b').body)).toMatchObject({ modelVersion: 4, predictionIds: ['a"b:0', 'a"b:1'] });
    for (const id of ['c0a8e3f2-1b2c-4d5e-8f90-123456789abc', 'a\\b\n\u2028é', '']) expect(JSON.parse(encodePrediction(binary, output, 2, 4, id).body).predictionIds).toEqual([`${id}:0`, `${id}:1`]);
    expect(JSON.parse(encodePrediction(multiclass, { data: Float32Array.from([0.2, 0.5, 0.3]), columns: 3 }, 1, 4, 'm').body).predictionIds).toEqual(['m:0']);
  });

  it('labels a binary tie with the negative label', () => {
    expect(predictions(binary, [0.5, 0.5], 2)).toEqual([{ label: 'legit', probabilities: [0.5, 0.5] }]);
  });

  it('writes a NaN probability as null, and a NaN never wins a multiclass row', () => {
    expect(predictions(multiclass, [Number.NaN, 0.25, 0.75], 3)).toEqual([{ label: 3, probabilities: [null, 0.25, 0.75] }]);
    expect(predictions(multiclass, [0.25, Number.NaN, 0.25], 3)).toEqual([{ label: 1, probabilities: [0.25, null, 0.25] }]);
    expect(predictions(multiclass, [Number.NaN, Number.NaN, Number.NaN], 3)).toEqual([{ label: 1, probabilities: [null, null, null] }]);
    expect(predictions(binary, [Number.NaN, Number.NaN], 2)).toEqual([{ label: 'legit', probabilities: [null, null] }]);
  });
});
