import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatIssues } from '../../contracts/team-config';
import { DEFAULT_TWIN_STATE_FILE, twinStateFileSchema } from '../../contracts/twin-state-file';
import { LOCAL_CREDENTIALS } from '../../local/services/aws-environment';

/** Where a command writes; tests capture it, bin/mlops.ts wires it to the process. */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** Bad usage or input: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

type Cell = string | number | boolean | null | undefined;

/** Left-aligned columns separated by two spaces; empty cells show as "-". */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = [headers, ...rows.map((row) => row.map((cell) => (cell === null || cell === undefined || cell === '' ? '-' : String(cell))))];
  const widths = headers.map((_, c) => Math.max(...text.map((row) => (row[c] ?? '').length)));
  return text.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n');
}

/** Options every command that talks to a stack accepts (node:util parseArgs format). */
export const TARGET_OPTIONS = {
  /** cdk-outputs.json of a deployed stack (cdk deploy --outputs-file); without it, the local twin. */
  outputs: { type: 'string' },
  region: { type: 'string' },
  /** The stack to use when the outputs hold several. */
  stack: { type: 'string' },
  /** The twin's state file. @default .local/twin.json */
  twin: { type: 'string' },
} as const;

/** The options that pick the stack a command talks to (its outputs file, or the local twin). */
export interface TargetOptions {
  outputs?: string;
  region?: string;
  stack?: string;
  twin?: string;
}

/** A stack the CLI talks to: the local twin, or a deployed stack in AWS. */
export interface StackTarget {
  kind: 'twin' | 'aws';
  region: string;
  stackName: string;
  outputs: Record<string, string>;
  /** Local endpoints (twin only); against AWS the SDK's defaults apply. */
  twinUrl?: string;
  dynamodbEndpoint?: string;
  s3Endpoint?: string;
}

const cdkOutputsSchema = z.record(z.string(), z.record(z.string(), z.string()));

/** Credentials for the twin's local endpoints: the same set the twin gives its own clients (s3rver checks the key id). */
export const TWIN_CREDENTIALS = LOCAL_CREDENTIALS;

/**
 * Resolves the stack to talk to. `needs` is a fragment of an output key the command requires (CDK suffixes
 * output ids with hashes), used to pick the stack when there are several and none was named.
 */
export function resolveTarget(options: TargetOptions, needs: string): StackTarget {
  if (options.outputs) {
    if (!options.region) throw new UsageError('--outputs needs --region (the region the stack is deployed in)');
    const stacks = readJson(options.outputs, cdkOutputsSchema, 'is not a cdk-outputs.json (cdk deploy --outputs-file)');
    const [stackName, outputs] = pickStack(stacks, needs, options, options.outputs);
    return { kind: 'aws', region: options.region, stackName, outputs };
  }
  const file = options.twin ?? DEFAULT_TWIN_STATE_FILE;
  const twin = readJson(file, twinStateFileSchema, 'is not the local twin state', 'is the local twin running? Start it, or target a deployed stack with --outputs cdk-outputs.json --region <region>');
  const stacks = Object.fromEntries(Object.entries(twin.stacks).map(([name, stack]) => [name, stack.outputs]));
  const [stackName, outputs] = pickStack(stacks, needs, options, file);
  return { kind: 'twin', region: options.region ?? twin.region, stackName, outputs, twinUrl: twin.twinUrl, dynamodbEndpoint: twin.dynamodbEndpoint, s3Endpoint: twin.s3Endpoint };
}

/** The value of the output whose key contains `fragment`. */
export function stackOutput(target: StackTarget, fragment: string): string {
  const key = Object.keys(target.outputs).find((k) => k.includes(fragment));
  if (!key) throw new UsageError(`stack ${target.stackName} has no output named like "${fragment}"`);
  return target.outputs[key];
}

function pickStack(
  stacks: Record<string, Record<string, string>>,
  needs: string,
  options: TargetOptions,
  source: string,
): [string, Record<string, string>] {
  if (options.stack) {
    const outputs = stacks[options.stack];
    if (!outputs) throw new UsageError(`no stack "${options.stack}" in ${source} (stacks: ${Object.keys(stacks).join(', ') || 'none'})`);
    return [options.stack, outputs];
  }
  const candidates = Object.entries(stacks).filter(([, outputs]) => Object.keys(outputs).some((k) => k.includes(needs)));
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) throw new UsageError(`no stack in ${source} has an output named like "${needs}"`);
  throw new UsageError(`several stacks in ${source} (${candidates.map(([n]) => n).join(', ')}); choose one with --stack`);
}

function readJson<S extends z.ZodType>(file: string, schema: S, what: string, missingHint?: string): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${file}${missingHint ? `; ${missingHint}` : ''}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`${file} ${what}: ${formatIssues(parsed.error).join('; ')}`);
  return parsed.data;
}
