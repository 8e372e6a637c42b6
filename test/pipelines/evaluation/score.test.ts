import { describe, expect, it } from 'vitest';
import { modelMetadataSchema } from '../../../contracts/model-metadata';
import { readLabelledCsv } from '../../../pipelines/evaluation/score';

const metadata = modelMetadataSchema.parse({
  inputName: 'features',
  features: [{ name: 'a', type: 'numeric' }, { name: 'b', type: 'numeric' }],
  task: 'multiclass-classification',
  labels: ['low', 'mid', 'high'],
  outputName: 'probabilities',
  algorithm: 'test',
});

describe('reading a labelled split for a multiclass model', () => {
  it('reads class indices by default (the processed splits)', () => {
    const table = readLabelledCsv('holdout.csv', 'a,b,y\n1,2,2\n3,4,0\n', metadata);
    expect(Array.from(table.labels)).toEqual([2, 0]);
    expect(() => readLabelledCsv('holdout.csv', 'a,b,y\n1,2,high\n3,4,0\n', metadata)).toThrow(
      'column "y", row 1 of holdout.csv: "high" is not one of the classes "0", "1", "2"',
    );
  });

  it('reads the class labels of metadata.json when asked (a data scientist’s own file)', () => {
    const table = readLabelledCsv('holdout.csv', 'y,a,b\nhigh,1,2\nlow,3,4\n', metadata, 'y', 'class-label');
    expect(Array.from(table.labels)).toEqual([2, 0]);
    expect(Array.from(table.features)).toEqual([1, 2, 3, 4]);
  });

  it('needs two classes to score', () => {
    expect(() => readLabelledCsv('holdout.csv', 'a,b,y\n1,2,1\n3,4,1\n', metadata)).toThrow(
      'label "y" has only one class (1) in holdout.csv; a classifier needs at least 2 of its classes',
    );
  });
});
