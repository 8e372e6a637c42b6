import { Random } from '../../common/random';
import { exportTreeEnsemble } from '../onnx/tree-ensemble';
import { binFeatures, type Binning } from './binning';
import { sigmoid, type ModelTask, type TrainedModel } from './model';

/**
 * Gradient-boosted decision trees, second-order (Newton) boosting as in XGBoost: histogram split search,
 * depth-limited trees, shrinkage, L2 on leaf values, optional seeded row subsampling. Logistic loss for
 * classification, squared loss for regression.
 *
 * Why trees for the tabular default: they need no scaling, use integer-coded categories directly, and find the
 * interactions (foreign x card-not-present, large amount x new account) a linear model cannot.
 *
 * Determinism: no unseeded randomness, rows always visited in index order, splits chosen by strictly greater
 * gain (first feature, then lowest bin wins a tie), so the same data and parameters give the same trees.
 */

export interface GradientBoostingParams {
  trees: number;
  maxDepth: number;
  learningRate: number;
  /** L2 penalty on leaf values (XGBoost's lambda). */
  l2: number;
  /** Minimum hessian sum in a child (for logistic loss ~ p(1-p) per row; squared loss: a row count). */
  minChildWeight: number;
  /** Minimum loss reduction for a split (XGBoost's gamma). */
  minSplitGain: number;
  maxBins: number;
  /** Share of rows drawn (seeded) for each tree; 1 uses every row. */
  subsample: number;
  seed: number;
}

export type TreeNode =
  | { kind: 'split'; feature: number; threshold: number; left: number; right: number }
  | { kind: 'leaf'; value: number };

/** Nodes in depth-first pre-order; node 0 is the root. Thresholds and leaf values are float32 values. */
export type Tree = TreeNode[];

export class TreeEnsembleModel implements TrainedModel {
  readonly algorithm = 'gradient-boosting';
  readonly outputName: string;

  constructor(
    readonly task: ModelTask,
    readonly featureCount: number,
    /** Raw score before any trees (log-odds of the prior, or the target mean), float32. */
    readonly baseScore: number,
    readonly trees: readonly Tree[],
  ) {
    this.outputName = task === 'regression' ? 'predictions' : 'probabilities';
  }

  predict(features: ArrayLike<number>, rowCount: number): Float64Array {
    const out = new Float64Array(rowCount);
    const row = new Float32Array(this.featureCount);
    for (let i = 0; i < rowCount; i++) {
      for (let f = 0; f < this.featureCount; f++) row[f] = features[i * this.featureCount + f];
      let score = this.baseScore;
      for (const tree of this.trees) score += leafValue(tree, (f) => row[f]);
      out[i] = this.task === 'regression' ? Math.fround(score) : sigmoid(score);
    }
    return out;
  }

  toOnnx(): Uint8Array {
    return exportTreeEnsemble(this);
  }
}

function leafValue(tree: Tree, valueOf: (feature: number) => number): number {
  let node = tree[0];
  while (node.kind === 'split') node = tree[valueOf(node.feature) <= node.threshold ? node.left : node.right];
  return node.value;
}

interface Gradients {
  g: Float64Array;
  h: Float64Array;
}

export function trainGradientBoosting(
  task: ModelTask,
  features: ArrayLike<number>,
  labels: ArrayLike<number>,
  rowCount: number,
  featureCount: number,
  params: GradientBoostingParams,
): TreeEnsembleModel {
  const x32 = Float32Array.from(features);
  const binning = binFeatures(x32, rowCount, featureCount, params.maxBins);
  const baseScore = Math.fround(initialScore(task, labels, rowCount));
  const margin = new Float64Array(rowCount).fill(baseScore);
  const gradients: Gradients = { g: new Float64Array(rowCount), h: new Float64Array(rowCount) };
  const random = new Random(params.seed);
  const trees: Tree[] = [];
  for (let t = 0; t < params.trees; t++) {
    for (let i = 0; i < rowCount; i++) {
      if (task === 'regression') {
        gradients.g[i] = margin[i] - labels[i];
        gradients.h[i] = 1;
      } else {
        const p = sigmoid(margin[i]);
        gradients.g[i] = p - labels[i];
        gradients.h[i] = Math.max(p * (1 - p), 1e-16);
      }
    }
    const rows: number[] = [];
    for (let i = 0; i < rowCount; i++) if (params.subsample >= 1 || random.uniform() < params.subsample) rows.push(i);
    const tree: Tree = [];
    growNode(tree, Int32Array.from(rows), 0, binning, featureCount, gradients, params);
    trees.push(tree);
    for (let i = 0; i < rowCount; i++) margin[i] += leafValue(tree, (f) => x32[i * featureCount + f]);
  }
  return new TreeEnsembleModel(task, featureCount, baseScore, trees);
}

function initialScore(task: ModelTask, labels: ArrayLike<number>, rowCount: number): number {
  let sum = 0;
  for (let i = 0; i < rowCount; i++) sum += labels[i];
  const mean = sum / rowCount;
  return task === 'regression' ? mean : Math.log(mean / (1 - mean));
}

interface Split {
  feature: number;
  bin: number;
  gain: number;
}

const leafWeight = (g: number, h: number, params: GradientBoostingParams) =>
  Math.fround((-g / (h + params.l2)) * params.learningRate);

/** Appends the subtree over `rows` (ascending indices) to `tree` in pre-order; returns its root index. */
function growNode(
  tree: Tree,
  rows: Int32Array,
  depth: number,
  binning: Binning,
  featureCount: number,
  gradients: Gradients,
  params: GradientBoostingParams,
): number {
  const index = tree.length;
  let g = 0;
  let h = 0;
  for (const i of rows) {
    g += gradients.g[i];
    h += gradients.h[i];
  }
  const split = depth < params.maxDepth ? bestSplit(rows, g, h, binning, featureCount, gradients, params) : undefined;
  if (!split) {
    tree.push({ kind: 'leaf', value: leafWeight(g, h, params) });
    return index;
  }
  const threshold = binning.thresholds[split.feature][split.bin];
  const node: TreeNode = { kind: 'split', feature: split.feature, threshold, left: -1, right: -1 };
  tree.push(node);
  const offset = split.feature * binning.rowCount;
  const left = rows.filter((i) => binning.bins[offset + i] <= split.bin);
  const right = rows.filter((i) => binning.bins[offset + i] > split.bin);
  node.left = growNode(tree, left, depth + 1, binning, featureCount, gradients, params);
  node.right = growNode(tree, right, depth + 1, binning, featureCount, gradients, params);
  return index;
}

function bestSplit(
  rows: Int32Array,
  g: number,
  h: number,
  binning: Binning,
  featureCount: number,
  gradients: Gradients,
  params: GradientBoostingParams,
): Split | undefined {
  const parentScore = (g * g) / (h + params.l2);
  let best: Split | undefined;
  for (let f = 0; f < featureCount; f++) {
    const thresholdCount = binning.thresholds[f].length;
    if (thresholdCount === 0) continue;
    const histG = new Float64Array(thresholdCount + 1);
    const histH = new Float64Array(thresholdCount + 1);
    const offset = f * binning.rowCount;
    for (const i of rows) {
      const bin = binning.bins[offset + i];
      histG[bin] += gradients.g[i];
      histH[bin] += gradients.h[i];
    }
    let leftG = 0;
    let leftH = 0;
    for (let bin = 0; bin < thresholdCount; bin++) {
      leftG += histG[bin];
      leftH += histH[bin];
      const rightG = g - leftG;
      const rightH = h - leftH;
      if (leftH < params.minChildWeight || rightH < params.minChildWeight) continue;
      const gain = 0.5 * ((leftG * leftG) / (leftH + params.l2) + (rightG * rightG) / (rightH + params.l2) - parentScore);
      if (gain > params.minSplitGain && (!best || gain > best.gain)) best = { feature: f, bin, gain };
    }
  }
  return best;
}
