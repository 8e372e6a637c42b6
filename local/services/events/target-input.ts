import { queryPath } from '../json-path';

/**
 * What a rule target receives: the whole event, `Input` (a fixed JSON text), `InputPath` (a part of the event), or
 * `InputTransformer` (`InputPathsMap` variables substituted into `InputTemplate`, plus the predefined
 * `<aws.events.*>` variables). Quoted placeholders receive the value as string content; unquoted ones its JSON.
 */
export interface TargetInputSpec {
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
}

export function targetInput(spec: TargetInputSpec, event: Record<string, unknown>, rule: { name: string; arn: string }): string {
  if (spec.Input !== undefined) return spec.Input;
  if (spec.InputPath !== undefined) return JSON.stringify(queryPath(event, spec.InputPath) ?? null);
  if (!spec.InputTransformer) return JSON.stringify(event);
  const variables: Record<string, unknown> = {
    'aws.events.event': event,
    'aws.events.event.json': event,
    'aws.events.rule-name': rule.name,
    'aws.events.rule-arn': rule.arn,
    'aws.events.event.ingestion-time': event.time,
  };
  for (const [name, path] of Object.entries(spec.InputTransformer.InputPathsMap ?? {})) variables[name] = queryPath(event, path);
  return spec.InputTransformer.InputTemplate.replace(/("?)<([A-Za-z0-9_.-]+)>("?)/g, (whole, open: string, name: string, close: string) => {
    if (!(name in variables)) return whole;
    const value = variables[name];
    if (open && close) return `"${typeof value === 'string' ? JSON.stringify(value).slice(1, -1) : JSON.stringify(JSON.stringify(value ?? null)).slice(1, -1)}"`;
    return `${open}${value === undefined ? 'null' : typeof value === 'string' && !open && !close ? value : JSON.stringify(value)}${close}`;
  });
}
