/**
 * Histogram binning for the tree learner. Each feature gets at most `maxBins` bins whose upper edges are
 * observed float32 values, so "bin <= b" is exactly "x <= threshold[b]" for the float32 input the ONNX graph
 * compares — the trainer and onnxruntime route every row the same way.
 */
export interface Binning {
  /** Per feature, ascending split thresholds (float32 values). A value's bin = number of thresholds below it. */
  thresholds: Float32Array[];
  /** Column-major bin indices: `bins[f * rowCount + i]`. */
  bins: Uint8Array;
  rowCount: number;
}

const MAX_BINS = 256;

export function binFeatures(x32: Float32Array, rowCount: number, featureCount: number, maxBins: number): Binning {
  if (maxBins < 2 || maxBins > MAX_BINS) throw new RangeError(`maxBins must be 2..${MAX_BINS}, got ${maxBins}`);
  const thresholds: Float32Array[] = [];
  const bins = new Uint8Array(rowCount * featureCount);
  const column = new Float32Array(rowCount);
  for (let f = 0; f < featureCount; f++) {
    for (let i = 0; i < rowCount; i++) column[i] = x32[i * featureCount + f];
    const edges = splitThresholds(Float32Array.from(column).sort(), maxBins);
    thresholds.push(edges);
    for (let i = 0; i < rowCount; i++) bins[f * rowCount + i] = binOf(edges, column[i]);
  }
  return { thresholds, bins, rowCount };
}

/** Distinct values when there are few (categorical codes, small counts), else quantile cut points. */
function splitThresholds(sorted: Float32Array, maxBins: number): Float32Array {
  const distinct: number[] = [];
  for (const v of sorted) if (distinct.length === 0 || v !== distinct[distinct.length - 1]) distinct.push(v);
  const max = distinct[distinct.length - 1];
  if (distinct.length <= maxBins) return Float32Array.from(distinct.slice(0, -1));
  const edges: number[] = [];
  for (let k = 1; k < maxBins; k++) {
    const v = sorted[Math.floor((k * sorted.length) / maxBins)];
    if (v < max && (edges.length === 0 || v > edges[edges.length - 1])) edges.push(v);
  }
  return Float32Array.from(edges);
}

/** Index of the first threshold >= x (thresholds.length when x is above all). */
function binOf(thresholds: Float32Array, x: number): number {
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (thresholds[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
