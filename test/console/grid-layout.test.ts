import { describe, expect, it } from 'vitest';
import { layoutWidgets } from '../../console/src/lib/grid-layout';

describe('layoutWidgets', () => {
  it('maps CloudWatch grid positions to 1-based CSS grid lines', () => {
    expect(layoutWidgets([{ x: 0, y: 0, width: 12, height: 6 }, { x: 12, y: 0, width: 12, height: 6 }, { x: 0, y: 6, width: 24, height: 2 }])).toEqual([
      { column: 1, row: 1, width: 12, height: 6 },
      { column: 13, row: 1, width: 12, height: 6 },
      { column: 1, row: 7, width: 24, height: 2 },
    ]);
  });

  it('flows unpositioned widgets into the first free space, left to right', () => {
    const placements = layoutWidgets([{ x: 0, y: 0, width: 18, height: 6 }, { width: 6, height: 3 }, { width: 6, height: 3 }, { width: 12 }]);
    expect(placements.slice(1)).toEqual([
      { column: 19, row: 1, width: 6, height: 3 },
      { column: 19, row: 4, width: 6, height: 3 },
      { column: 1, row: 7, width: 12, height: 6 },
    ]);
  });

  it('keeps an oversized or overhanging widget inside the 24 columns', () => {
    expect(layoutWidgets([{ x: 20, y: 0, width: 30, height: 4 }])).toEqual([{ column: 1, row: 1, width: 24, height: 4 }]);
    expect(layoutWidgets([{ x: 20, y: 0, width: 8, height: 4 }])).toEqual([{ column: 17, row: 1, width: 8, height: 4 }]);
  });
});
