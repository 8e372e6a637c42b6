import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTeamConfig } from '../../../contracts/team-config';
import {
  CARD_FRAUD_FEATURES,
  CARD_FRAUD_LABEL,
  datasetToCsv,
  generateInferenceRows,
  generateTransactions,
} from '../../../pipelines/datasets/card-fraud';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('card-fraud generator', () => {
  it('gives the same bytes for the same seed and different rows for another seed', () => {
    const a = datasetToCsv(generateTransactions({ rows: 500, seed: 7 }));
    expect(datasetToCsv(generateTransactions({ rows: 500, seed: 7 }))).toBe(a);
    expect(datasetToCsv(generateTransactions({ rows: 500, seed: 8 }))).not.toBe(a);
  });

  it('matches the example team config column for column', () => {
    const config = parseTeamConfig(JSON.parse(readFileSync('pipelines/teams/fraud.json', 'utf8')));
    expect(config.model.features).toEqual(CARD_FRAUD_FEATURES);
    expect(config.model.label).toBe(CARD_FRAUD_LABEL);
  });

  it('has a realistic fraud rate and value ranges', () => {
    const { rows } = generateTransactions({ rows: 20_000, seed: 1 });
    const fraudRate = mean(rows.map((r) => r[9]));
    expect(fraudRate).toBeGreaterThan(0.02);
    expect(fraudRate).toBeLessThan(0.05);
    for (const r of rows.slice(0, 2000)) {
      expect(r[0]).toBeGreaterThan(0);
      expect(r[1]).toBeGreaterThanOrEqual(0);
      expect(r[1]).toBeLessThanOrEqual(23);
      expect([0, 1]).toContain(r[6]);
      expect(Number.isInteger(r[8])).toBe(true);
    }
  });

  it('shift moves amounts up and makes foreign payments more common', () => {
    const base = generateTransactions({ rows: 5000, seed: 3, shift: 0 }).rows;
    const drifted = generateTransactions({ rows: 5000, seed: 3, shift: 1 }).rows;
    expect(mean(drifted.map((r) => Math.log(r[0])))).toBeGreaterThan(mean(base.map((r) => Math.log(r[0]))) + 0.5);
    expect(mean(drifted.map((r) => r[6]))).toBeGreaterThan(mean(base.map((r) => r[6])) + 0.2);
  });

  it('generates inference traffic without the label', () => {
    const rows = generateInferenceRows({ rows: 3, seed: 5, shift: 0.5 });
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveLength(CARD_FRAUD_FEATURES.length);
  });

  it('refuses a shift outside 0..1 by name', () => {
    expect(() => generateTransactions({ rows: 1, seed: 1, shift: 2 })).toThrow(/shift/);
  });
});
