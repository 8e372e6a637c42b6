import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Throws one error listing every problem of a construct's props, each prefixed with the construct path, so a user
 * fixes them all in one pass (as aws-solutions-constructs' prop checks do). Does nothing when there are none.
 */
export function throwOnPropProblems(scope: IConstruct, problems: readonly string[]): void {
  if (problems.length === 0) return;
  throw new Error(`${scope.node.path}: invalid props:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/** A problem when a resolved number is outside [min, max] or not an integer where one is required. */
export function rangeProblem(
  prop: string,
  value: number | undefined,
  range: { min: number; max: number; integer?: boolean },
): string[] {
  if (value === undefined || Token.isUnresolved(value)) return [];
  const integer = range.integer ?? false;
  if (Number.isFinite(value) && value >= range.min && value <= range.max && (!integer || Number.isInteger(value))) {
    return [];
  }
  return [`${prop} must be ${integer ? 'an integer ' : ''}between ${range.min} and ${range.max}, got: ${value}`];
}
