import { describe, expect, it } from 'vitest';
import { identifierFor, isIdentifier, nonIdentifierColumnsMessage } from '../../../pipelines/common/column-names';

describe('column names as identifiers', () => {
  it('suggests the identifier a header stands for', () => {
    expect(identifierFor('mean radius', 1)).toBe('mean_radius');
    expect(identifierFor('  worst concave points ', 1)).toBe('worst_concave_points');
    expect(identifierFor('2nd dose (mg)', 1)).toBe('_2nd_dose_mg');
    expect(identifierFor('größe', 1)).toBe('gr_e');
    expect(identifierFor('%%', 7)).toBe('column_7');
    expect(identifierFor('x'.repeat(80), 1)).toHaveLength(64);
  });

  it('every suggestion is an identifier', () => {
    for (const header of ['mean radius', '2nd', '%%', 'a-b.c', ' _x_ ', 'x'.repeat(80)]) expect(isIdentifier(identifierFor(header, 3))).toBe(true);
  });

  it('names every non-identifier column in one message with its rename', () => {
    expect(nonIdentifierColumnsMessage('holdout.csv', ['mean radius', 'mean_texture', 'worst area', 'target'])).toBe(
      'holdout.csv: 2 columns are not identifiers (letters, digits and _, not starting with a digit), so cannot be used as feature names; rename in the header row: "mean radius" -> mean_radius, "worst area" -> worst_area',
    );
    expect(nonIdentifierColumnsMessage('holdout.csv', ['a b'])).toMatch(/^holdout\.csv: 1 column is not an identifier .*"a b" -> a_b$/);
  });

  it('has nothing to say when every column is an identifier', () => {
    expect(nonIdentifierColumnsMessage('holdout.csv', ['mean_radius', '_x', 'B2'])).toBeUndefined();
  });
});
