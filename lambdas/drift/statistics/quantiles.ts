/**
 * Quantiles of an ascending sample by linear interpolation between order statistics, computed the way
 * numpy's default method ("linear") computes them (its lerp interpolates from the nearer end), so bin
 * edges agree with numpy to the last bit.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('the quantile of an empty sample is undefined');
  const index = (n - 1) * q;
  const below = Math.min(Math.max(Math.floor(index), 0), n - 1);
  const above = Math.min(below + 1, n - 1);
  const t = index - Math.floor(index);
  const a = sorted[below];
  const b = sorted[above];
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** Index of the first element of an ascending array that is > value (numpy searchsorted side='right'). */
export function upperBound(sorted: ArrayLike<number>, value: number, from = 0, to = sorted.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
