import { exportLinearModel } from '../onnx/linear';
import { solveSymmetricPositiveDefinite } from './cholesky';
import { sigmoid, type ModelTask, type TrainedModel } from './model';

/**
 * L2-regularised logistic regression (ridge regression for a regression task), fitted by Newton's method on
 * standardised features; the standardisation is folded into the exported weights, so the ONNX graph takes raw
 * features. Newton on a (features+1)-sized system converges in a handful of steps with no learning rate to tune.
 * Categorical codes enter as numbers: fine for binary flags, crude for many-valued codes (use trees there).
 */

export interface LogisticRegressionParams {
  /** L2 penalty on the standardised weights, relative to the summed loss (scikit-learn's 1/C). */
  l2: number;
  maxIterations: number;
  /** Stop when no standardised coefficient moves more than this. */
  tolerance: number;
}

export class LinearModel implements TrainedModel {
  readonly algorithm = 'logistic-regression';
  readonly outputName: string;

  constructor(
    readonly task: ModelTask,
    /** Float32 weights on raw features. */
    readonly weights: Float32Array,
    readonly bias: number,
  ) {
    this.outputName = task === 'regression' ? 'predictions' : 'probabilities';
  }

  predict(features: ArrayLike<number>, rowCount: number): Float64Array {
    const width = this.weights.length;
    const out = new Float64Array(rowCount);
    for (let i = 0; i < rowCount; i++) {
      let z = 0;
      for (let f = 0; f < width; f++) z += this.weights[f] * Math.fround(features[i * width + f]);
      z += this.bias;
      out[i] = this.task === 'regression' ? z : sigmoid(z);
    }
    return out;
  }

  toOnnx(): Uint8Array {
    return exportLinearModel(this);
  }
}

export function trainLogisticRegression(
  task: ModelTask,
  features: ArrayLike<number>,
  labels: ArrayLike<number>,
  rowCount: number,
  featureCount: number,
  params: LogisticRegressionParams,
): LinearModel {
  const { mean, scale } = standardisation(features, rowCount, featureCount);
  const n = featureCount + 1; // standardised weights, then the intercept
  const x = new Float64Array(n);
  const z = new Float64Array(featureCount);
  const beta = new Float64Array(n);
  for (let iteration = 0; iteration < (task === 'regression' ? 1 : params.maxIterations); iteration++) {
    const hessian = new Float64Array(n * n);
    const gradient = new Float64Array(n);
    for (let i = 0; i < rowCount; i++) {
      for (let f = 0; f < featureCount; f++) x[f] = (features[i * featureCount + f] - mean[f]) / scale[f];
      x[featureCount] = 1;
      let eta = 0;
      for (let k = 0; k < n; k++) eta += beta[k] * x[k];
      const p = task === 'regression' ? eta : sigmoid(eta);
      const w = task === 'regression' ? 1 : Math.max(p * (1 - p), 1e-12);
      const residual = p - labels[i];
      for (let a = 0; a < n; a++) {
        gradient[a] += residual * x[a];
        for (let b = 0; b <= a; b++) hessian[a * n + b] += w * x[a] * x[b];
      }
    }
    for (let a = 0; a < n; a++) {
      if (a < featureCount) {
        gradient[a] += params.l2 * beta[a];
        hessian[a * n + a] += params.l2;
      }
      for (let b = 0; b < a; b++) hessian[b * n + a] = hessian[a * n + b];
    }
    const step = solveSymmetricPositiveDefinite(hessian, gradient, n);
    let largest = 0;
    for (let k = 0; k < n; k++) {
      beta[k] -= step[k];
      largest = Math.max(largest, Math.abs(step[k]));
    }
    if (largest < params.tolerance) break;
  }
  let bias = beta[featureCount];
  for (let f = 0; f < featureCount; f++) {
    z[f] = beta[f] / scale[f];
    bias -= z[f] * mean[f];
  }
  return new LinearModel(task, Float32Array.from(z), Math.fround(bias));
}

function standardisation(features: ArrayLike<number>, rowCount: number, featureCount: number) {
  const mean = new Float64Array(featureCount);
  const scale = new Float64Array(featureCount);
  for (let i = 0; i < rowCount; i++) for (let f = 0; f < featureCount; f++) mean[f] += features[i * featureCount + f];
  for (let f = 0; f < featureCount; f++) mean[f] /= rowCount;
  for (let i = 0; i < rowCount; i++) {
    for (let f = 0; f < featureCount; f++) scale[f] += (features[i * featureCount + f] - mean[f]) ** 2;
  }
  // A constant column keeps scale 1: its standardised value is 0 and its weight stays 0 under L2.
  for (let f = 0; f < featureCount; f++) scale[f] = Math.sqrt(scale[f] / rowCount) || 1;
  return { mean, scale };
}
