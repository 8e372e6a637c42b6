import { queryPath } from '../json-path';

/**
 * What a rule target receives: the whole event, `Input` (a fixed JSON text), `InputPath` (a part of the event), or
 * `InputTransformer` (`InputPathsMap` variables substituted into `InputTemplate`, plus the predefined
 * `<aws.events.*>` variables). Placeholders inside a JSON string receive the value as string content; others its JSON.
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
  return fillTemplate(spec.InputTransformer.InputTemplate, variables);
}

/** Replaces `<name>` placeholders; inside a JSON string literal a value goes in as string content, elsewhere as JSON. */
function fillTemplate(template: string, variables: Record<string, unknown>): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const char = template[i];
    if (char === '"' && template[i - 1] !== '\\') inString = !inString;
    const placeholder = char === '<' ? /^<([A-Za-z0-9_.-]+)>/.exec(template.slice(i)) : null;
    if (!placeholder || !(placeholder[1] in variables)) {
      out += char;
      continue;
    }
    const value = variables[placeholder[1]] ?? null;
    out += inString ? JSON.stringify(typeof value === 'string' ? value : JSON.stringify(value)).slice(1, -1) : JSON.stringify(value);
    i += placeholder[0].length - 1;
  }
  return out;
}
