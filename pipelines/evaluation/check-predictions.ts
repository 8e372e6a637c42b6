import type { ModelOutput } from '../../lambdas/inference/model-session';
import type { ModelTask } from './metrics';
import { InvalidModelOutputError } from './invalid-model-output';

/** Largest |row sum - 1| accepted from a classifier's probability row: float32 softmax rounding, not a bug. */
export const PROBABILITY_SUM_TOLERANCE = 1e-4;

const shown = (value: number) => (Number.isFinite(value) ? String(Number(value.toPrecision(7))) : String(value));

/**
 * Checks a model's raw output on `rows` rows of `source` before it is scored: a regressor's values are finite; a
 * classifier's values are probabilities in [0, 1], and a row of several (multiclass, or binary [p0, p1]) sums to 1
 * within PROBABILITY_SUM_TOLERANCE. Throws InvalidModelOutputError naming the first bad row (1-based, as in the
 * file) and its values.
 */
export function checkPredictions(task: ModelTask, output: ModelOutput, rows: number, source: string): void {
  const { data, columns } = output;
  for (let r = 0; r < rows; r++) {
    const row = Array.from(data.subarray(r * columns, (r + 1) * columns));
    const problem = task === 'regression' ? valueProblem(row) : probabilityProblem(row);
    if (problem) {
      const values = columns === 1 ? shown(row[0]) : `[${row.map(shown).join(', ')}]`;
      throw new InvalidModelOutputError(`the model's output for row ${r + 1} of ${source} is ${values}: ${problem}`);
    }
  }
}

function valueProblem(row: readonly number[]): string | undefined {
  return Number.isFinite(row[0]) ? undefined : 'a regressor must predict a finite number';
}

function probabilityProblem(row: readonly number[]): string | undefined {
  const bad = row.find((p) => !(p >= 0 && p <= 1));
  if (bad !== undefined) return `${shown(bad)} is not a probability (a number from 0 to 1)`;
  if (row.length === 1) return undefined;
  const sum = row.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
    return `the class probabilities sum to ${shown(sum)}, not 1 (within ${PROBABILITY_SUM_TOLERANCE}); does the model end in a softmax?`;
  }
  return undefined;
}
