import { describe, expect, it } from 'vitest';
import { classCountsOf, classIndices, requireClasses, requireEveryClassCount, toNumericTable, type TableSpec } from '../../../pipelines/common/tabular';

const features = [
  { name: 'length', type: 'numeric' as const },
  { name: 'width', type: 'numeric' as const },
];
const multiclass: TableSpec = { task: 'multiclass-classification', features, label: 'species', classes: ['setosa', 'versicolor', 'virginica'] };
const binary: TableSpec = { task: 'binary-classification', features, label: 'species' };
const table = (rows: unknown[][], header = ['length', 'width', 'species']) => [{ source: 'iris.csv', header, rows }];

describe('multiclass labels', () => {
  it('map each class label as written to its index in the classes', () => {
    const { labels } = toNumericTable(table([[1, 2, 'virginica'], [1, 2, ' setosa '], [1, 2, 'versicolor']]), multiclass);
    expect(Array.from(labels)).toEqual([2, 0, 1]);
  });

  it('match integer classes by their text, from CSV text or Parquet numbers', () => {
    const spec = { ...multiclass, classes: [3, 5, 7] };
    expect(Array.from(toNumericTable(table([[1, 2, '7'], [1, 2, 3], [1, 2, 5n]]), spec).labels)).toEqual([2, 0, 1]);
  });

  it('refuse a value outside the classes, naming column, row, file, value and the classes', () => {
    expect(() => toNumericTable(table([[1, 2, 'setosa'], [1, 2, 'virginca']]), multiclass)).toThrow(
      'column "species", row 2 of iris.csv: "virginca" is not one of the classes "setosa", "versicolor", "virginica"',
    );
    expect(() => toNumericTable(table([[1, 2, '']]), multiclass)).toThrow('row 1 of iris.csv: an empty value is not one of the classes');
  });

  it('read processed splits, which hold class indices, with classIndices(K)', () => {
    const spec = { ...multiclass, classes: classIndices(3) };
    expect(Array.from(toNumericTable(table([[1, 2, '2'], [1, 2, '0']]), spec).labels)).toEqual([2, 0]);
    expect(() => toNumericTable(table([[1, 2, '3']]), spec)).toThrow('"3" is not one of the classes "0", "1", "2"');
  });

  it('need the classes in the spec', () => {
    expect(() => toNumericTable(table([[1, 2, 'setosa']]), { ...multiclass, classes: undefined })).toThrow(/needs its classes/);
  });
});

describe('missing columns', () => {
  it('are reported together, naming a header that is the column written otherwise', () => {
    const spec = { ...multiclass, features: [...features, { name: 'petal_width', type: 'numeric' as const }, { name: 'petal_length', type: 'numeric' as const }] };
    const header = ['Length', 'width', 'petal width', 'species'];
    expect(() => toNumericTable(table([[1, 2, 3, 'setosa']], header), spec)).toThrow(
      'columns "length" (the header has "Length": rename it to length), "petal_width" (the header has "petal width": rename it to petal_width), "petal_length" are missing from iris.csv (columns found: Length, width, petal width, species)',
    );
  });

  it('one missing column reads as before', () => {
    expect(() => toNumericTable(table([[1, 'setosa']], ['length', 'species']), multiclass)).toThrow(
      'column "width" is missing from iris.csv (columns found: length, species)',
    );
  });
});

describe('classes a split must have', () => {
  it('binary: both 0 and 1', () => {
    expect(() => requireClasses([0, 0, 0], binary, 'the holdout split')).toThrow(
      'label "species" has only one class (0) in the holdout split; a classifier needs both 0 and 1',
    );
    expect(() => requireEveryClassCount([0, 2], 2, binary, 'the train split')).toThrow(/only one class \(1\)/);
    expect(() => requireClasses([0, 1], binary, 'x')).not.toThrow();
  });

  it('multiclass: at least 2 classes to be scored, every class to be trained on', () => {
    expect(() => requireClasses([2, 2], multiclass, 'the holdout split')).toThrow(
      'label "species" has only one class (virginica) in the holdout split; a classifier needs at least 2 of its classes',
    );
    expect(() => requireClasses([0, 2], multiclass, 'the holdout split')).not.toThrow();
    expect(() => requireEveryClassCount(classCountsOf([0, 2, 0], multiclass), 3, multiclass, 'the train split (3 of 5 rows)')).toThrow(
      'label "species" has no rows of class "versicolor" in the train split (3 of 5 rows); every class must appear in the training data (more rows of that class are needed)',
    );
    expect(() => requireEveryClassCount([1, 1, 1], 3, multiclass, 'x')).not.toThrow();
  });

  it('counts each class index of the labels, none for regression', () => {
    expect(classCountsOf([0, 2, 0], multiclass)).toEqual([2, 0, 1]);
    expect(classCountsOf([1, 1, 0], binary)).toEqual([1, 2]);
    expect(classCountsOf([3.5], { ...binary, task: 'regression' })).toEqual([]);
  });

  it('regression: rows only', () => {
    expect(() => requireClasses([], { ...binary, task: 'regression' }, 'the train split')).toThrow('no data rows in the train split');
    expect(() => requireEveryClassCount([], 1, { ...binary, task: 'regression' }, 'x')).not.toThrow();
  });
});
