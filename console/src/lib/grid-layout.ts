/**
 * CloudWatch dashboards place widgets on a 24-column grid (x, y, width, height in grid units). Widgets without a
 * position flow left to right, top to bottom, as in CloudWatch. The result maps straight onto CSS grid lines.
 */

const GRID_COLUMNS = 24;
/** CloudWatch's defaults for a widget without a size. */
const DEFAULT_WIDTH = 6;
const DEFAULT_HEIGHT = 6;

export interface GridWidget {
  x?: number;
  y?: number;
  width?: number;
  height?: number;
}

export interface Placement {
  column: number;
  row: number;
  width: number;
  height: number;
}

/** CSS grid lines are 1-based; returns placements in the same order as the widgets. */
export function layoutWidgets(widgets: readonly GridWidget[]): Placement[] {
  const occupied = new Set<string>();
  const mark = (p: Placement) => {
    for (let r = p.row; r < p.row + p.height; r += 1) for (let c = p.column; c < p.column + p.width; c += 1) occupied.add(`${r}:${c}`);
  };
  const fits = (column: number, row: number, width: number, height: number) => {
    for (let r = row; r < row + height; r += 1) for (let c = column; c < column + width; c += 1) if (occupied.has(`${r}:${c}`)) return false;
    return true;
  };
  const sized = widgets.map((widget) => ({
    widget,
    width: clamp(widget.width ?? DEFAULT_WIDTH, 1, GRID_COLUMNS),
    height: Math.max(1, widget.height ?? DEFAULT_HEIGHT),
  }));
  const placements: (Placement | undefined)[] = sized.map(({ widget, width, height }) => {
    if (widget.x === undefined || widget.y === undefined) return undefined;
    const placement = { column: clamp(widget.x, 0, GRID_COLUMNS - width) + 1, row: Math.max(0, widget.y) + 1, width, height };
    mark(placement);
    return placement;
  });
  return sized.map(({ width, height }, index) => {
    const fixed = placements[index];
    if (fixed) return fixed;
    for (let row = 1; ; row += 1) {
      for (let column = 1; column + width - 1 <= GRID_COLUMNS; column += 1) {
        if (fits(column, row, width, height)) {
          const placement = { column, row, width, height };
          mark(placement);
          return placement;
        }
      }
    }
  });
}

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, Math.round(value)));
