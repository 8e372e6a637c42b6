import { describe, expect, it } from 'vitest';
import { WindowColumns } from '../../../lambdas/drift/window-columns';
import type { CaptureRecord } from '../../../contracts/capture-record';

const record = (features: number[], overrides: Partial<CaptureRecord> = {}): CaptureRecord => ({
  model: 'iris',
  modelVersion: 3,
  at: '2026-12-01T10:00:00.000Z',
  requestId: 'r',
  features,
  prediction: 0.5,
  ...overrides,
});

describe('WindowColumns', () => {
  it('keeps the served version\'s numeric values in order and counts its categories and predicted classes', () => {
    // GIVEN a window of version 3 of "iris" with a numeric and a categorical feature
    const window = new WindowColumns('iris', 3, {
      task: 'multiclass-classification',
      features: [{ name: 'petal', type: 'numeric' }, { name: 'site', type: 'categorical' }],
    });
    // WHEN records of it, of another version, of another model and of the wrong width arrive (more than one growth)
    for (let i = 0; i < 3000; i++) window.add(record([i / 10, i % 3], { label: i % 2 === 0 ? 'constructor' : 'a' }));
    window.add(record([1, 1], { modelVersion: 2 }));
    window.add(record([1, 1], { model: 'other' }));
    window.add(record([1, 1, 1]));
    window.add(record([2, 0]));
    // THEN
    expect({ rows: window.rows, wrongWidth: window.wrongWidth, unclassified: window.unclassified }).toEqual({ rows: 3001, wrongWidth: 1, unclassified: 1 });
    const [petal, site] = window.columns();
    expect(petal).toEqual({ name: 'petal', type: 'numeric', values: Float64Array.from([...Array.from({ length: 3000 }, (_, i) => i / 10), 2]) });
    expect(site).toEqual({ name: 'site', type: 'categorical', counts: { 0: 1001, 1: 1000, 2: 1000 } });
    expect({ ...window.predictedClasses }).toEqual({ constructor: 1500, a: 1500 });
  });

  it('reads a binary classifier\'s predicted class from its positive probability', () => {
    const window = new WindowColumns('fraud', 3, { task: 'binary-classification', features: [{ name: 'amount', type: 'numeric' }] });
    for (const prediction of [0.2, 0.5, 0.51, 0.9]) window.add(record([1], { model: 'fraud', prediction }));
    expect({ ...window.predictedClasses }).toEqual({ 0: 2, 1: 2 });
  });
});
