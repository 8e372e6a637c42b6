import { describe, expect, it } from 'vitest';
import { parseTeamConfig } from '../../../contracts/team-config';
import { holdoutToRawCsv, parseHoldout, replayRows, shiftNumericFeatures, type HoldoutTable } from '../../../local/driver/holdout-replay';
import { exampleConfig } from '../../helpers/synth';

/** A multiclass team: two numeric features and a categorical one, classes written as strings. */
const multiclass = parseTeamConfig({
  ...exampleConfig(),
  team: 'plants',
  model: {
    name: 'plant-type',
    task: 'multiclass-classification',
    label: 'species',
    classes: ['setosa', 'versi,color', 'virginica'],
    features: [
      { name: 'petal_length', type: 'numeric' },
      { name: 'soil', type: 'categorical' },
      { name: 'petal_width', type: 'numeric' },
    ],
  },
  training: { datasetUri: 'datasets/plants/', container: { imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/plants:1' }, instanceType: 'ml.m5.large' },
  evaluation: { ...exampleConfig().evaluation, primaryMetric: 'macroF1', threshold: 0.5 },
});

// The processing job's layout: features in config order, the class index last.
const SPLIT = 'petal_length,soil,petal_width,species\n1,0,10,2\n3,1,20,0\n5,2,30,1\n7,1,40,2\n';

describe('holdout replay', () => {
  it('reads a processed holdout split: features in config order, class indices as labels', () => {
    const table = parseHoldout(SPLIT, multiclass, 's3://b/runs/r1/processed/holdout/data.csv');
    expect(table.rows).toEqual([
      [1, 0, 10],
      [3, 1, 20],
      [5, 2, 30],
      [7, 1, 40],
    ]);
    expect(table.labels).toEqual([2, 0, 1, 2]);
  });

  it('names the column, row and file of a bad cell', () => {
    const bad = 'petal_length,soil,petal_width,species\n1,0,abc,2\n';
    expect(() => parseHoldout(bad, multiclass, 'h.csv')).toThrow('column "petal_width", row 1 of h.csv: expected a finite number, got "abc"');
  });

  it('moves each numeric feature by k population standard deviations of its column and leaves categorical codes alone', () => {
    // GIVEN petal_length 1,3,5,7 (mean 4, population std sqrt(5)) and petal_width 10..40 (std sqrt(125))
    const table = parseHoldout(SPLIT, multiclass, 'h.csv');
    // WHEN shifted by 2 standard deviations
    const shifted = shiftNumericFeatures(table, 2);
    // THEN
    const lengthShift = 2 * Math.sqrt(5);
    const widthShift = 2 * Math.sqrt(125);
    shifted.rows.forEach((row, i) => {
      expect(row[0]).toBeCloseTo(table.rows[i][0] + lengthShift, 12);
      expect(row[1]).toBe(table.rows[i][1]);
      expect(row[2]).toBeCloseTo(table.rows[i][2] + widthShift, 12);
    });
    expect(shifted.labels).toEqual(table.labels);
    expect(table.rows[0]).toEqual([1, 0, 10]);
  });

  it('does not move a column without spread', () => {
    const flat: HoldoutTable = { features: multiclass.model.features, rows: [[2, 1, 5], [2, 0, 5]], labels: [0, 1] };
    expect(shiftNumericFeatures(flat, 3).rows).toEqual(flat.rows);
  });

  it('replays rows in order and starts over at the end', () => {
    expect(replayRows(['a', 'b', 'c'], 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
    expect(() => replayRows([], 2)).toThrow('no holdout rows to replay');
  });

  it('writes raw data with the classes as written (quoted when needed), which the processing job reads back', () => {
    const table = parseHoldout(SPLIT, multiclass, 'h.csv');
    expect(holdoutToRawCsv(table, multiclass)).toBe(
      'petal_length,soil,petal_width,species\n1,0,10,virginica\n3,1,20,setosa\n5,2,30,"versi,color"\n7,1,40,virginica\n',
    );
  });

  it('keeps 0/1 labels of a binary model', () => {
    const config = exampleConfig();
    const header = [...config.model.features.map((f) => f.name), config.model.label].join(',');
    const table = parseHoldout(`${header}\n12.5,3,1.2,2,400,0.1,0,1,4,1\n`, config, 'h.csv');
    expect(holdoutToRawCsv(table, config)).toBe(`${header}\n12.5,3,1.2,2,400,0.1,0,1,4,1\n`);
  });
});
