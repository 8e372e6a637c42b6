import { isIndefinite, parsePath, queryPath } from '../json-path';
import { TaskError } from './task-error';

/**
 * Step Functions payload templates (Parameters, ResultSelector): keys ending in `.$` take the value of a path into
 * the input (`$...`) or the context object (`$$...`). aws-local-stepfunctions evaluates paths with jsonpath-plus
 * unwrapped, so a wildcard path that matches one value gives that value instead of a one-element list, and one that
 * matches nothing fails; Step Functions gives a list in both cases. The twin therefore evaluates, itself, the Task
 * templates that contain wildcard paths (and only plain paths: templates with intrinsic functions stay with the
 * library).
 */
export type Template = Record<string, unknown>;

function pathValues(template: unknown, out: string[] = []): string[] {
  if (template === null || typeof template !== 'object') return out;
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) out.push(String(value));
    else pathValues(value, out);
  }
  return out;
}

/** True when the template has a wildcard path and every path is one the twin evaluates. */
export function shouldEvaluateInTwin(template: unknown): template is Template {
  const paths = pathValues(template);
  const parsed = paths.map((p) => parsePath(p.startsWith('$$') ? p.slice(1) : p));
  return parsed.every((t) => t !== undefined) && parsed.some((t) => isIndefinite(t!));
}

export function applyTemplate(template: Template, input: unknown, context: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) {
      const path = String(value);
      const result = path.startsWith('$$') ? queryPath(context, path.slice(1)) : queryPath(input, path);
      if (result === undefined) throw new TaskError('States.Runtime', `The JSONPath '${path}' specified for the field '${key}' could not be found in the input`);
      out[key.slice(0, -2)] = result;
    } else {
      out[key] = value !== null && typeof value === 'object' && !Array.isArray(value) ? applyTemplate(value as Template, input, context) : value;
    }
  }
  return out;
}
