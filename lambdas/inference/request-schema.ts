// zod's mini build: this module is on the inference function's cold path (contracts/zod-mini.ts says why).
import * as z from '../../contracts/zod-mini';
import { InvalidRequestError, PayloadTooLargeError } from './errors';
import { scanPositionalRows } from './positional-rows';

/**
 * The invocation request: `{"instances": [...]}` where each instance is either an array of numbers in the
 * model's feature order or an object of named features (`{"amount": 12.5, ...}`, every feature exactly once).
 * Both forms may be mixed in one request. Values must be JSON numbers that fit a float32 (the model's input
 * type); strings, booleans, null and non-finite values are refused with the offending field named, e.g.
 * `instances[3][2]: expected a finite number, got "abc"` or `instances[0]: missing feature "amount"`.
 *
 * This runs on every request, so the common case is checked by hand: positional rows are read straight from the
 * text into float32 (positional-rows.ts); otherwise the envelope is checked by a few tests after JSON.parse (zod's
 * schema below words the error when they fail), the values by a plain loop that writes into the model's input buffer.
 */

export interface InvocationLimits {
  /** Largest body accepted, in bytes; checked before the body is decoded or parsed. @default 6 MiB (Lambda's payload limit) */
  readonly maxBodyBytes: number;
  /** Most instances in one request. @default 10,000 */
  readonly maxInstances: number;
}

export const DEFAULT_LIMITS: InvocationLimits = { maxBodyBytes: 6 * 1024 * 1024, maxInstances: 10_000 };

/** The model's view of a request: its feature names in input order. */
export interface FeatureLayout {
  readonly featureNames: readonly string[];
  readonly featureIndex: ReadonlyMap<string, number>;
  readonly width: number;
  /** A [rows, width] input buffer (e.g. a pooled one); every value is overwritten. @default - a new Float32Array */
  inputBuffer?(rows: number): Float32Array;
}

export interface Invocation {
  /** Row-major [rows, width] model input. */
  features: Float32Array;
  rows: number;
  /** The request body, for `sentInstances`. */
  body: string;
  /** The instances as parsed, when the JSON parser ran (the positional fast path builds none). */
  parsed: readonly unknown[] | undefined;
}

/** Largest float32; anything beyond it would silently become Infinity in the model's input. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** Throws PayloadTooLargeError when the body cannot fit the limit; for base64 bodies the decoded size counts. */
export function checkBodySize(body: string, isBase64Encoded: boolean, limits: InvocationLimits): void {
  const bytes = isBase64Encoded
    ? Math.floor((body.length * 3) / 4) - (body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0)
    : // UTF-8 needs at most 3 bytes per UTF-16 unit, so only a body near the limit is measured exactly.
      body.length * 3 <= limits.maxBodyBytes
      ? body.length
      : Buffer.byteLength(body, 'utf8');
  if (bytes > limits.maxBodyBytes) {
    throw new PayloadTooLargeError(`body: ${bytes} bytes exceeds the limit of ${limits.maxBodyBytes} bytes`);
  }
}

/** Parses and validates an invocation body (size already checked) against the model's features. */
export function parseInvocation(body: string, layout: FeatureLayout, limits: InvocationLimits): Invocation {
  const scanned = scanPositionalRows(body, layout.width, limits.maxInstances);
  if (scanned) {
    const size = scanned.rows * layout.width;
    const features = layout.inputBuffer ? layout.inputBuffer(scanned.rows) : new Float32Array(size);
    for (let k = 0; k < size; k++) features[k] = scanned.values[k];
    return { features, rows: scanned.rows, body, parsed: undefined };
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new InvalidRequestError(`body: expected JSON of the form {"instances": [...]}: ${(error as Error).message}`);
  }
  const instances = isWellFormedEnvelope(json, limits.maxInstances) ? json.instances : envelopeError(json, limits.maxInstances);
  const { width } = layout;
  const features = layout.inputBuffer ? layout.inputBuffer(instances.length) : new Float32Array(instances.length * width);
  for (let r = 0; r < instances.length; r++) {
    const row = instances[r];
    if (Array.isArray(row)) readPositional(row, r, features, layout);
    else if (row !== null && typeof row === 'object') readNamed(row as Record<string, unknown>, r, features, layout);
    else {
      throw new InvalidRequestError(
        `instances[${r}]: expected an array of ${width} numbers or an object of named features, got ${describe(row)}`,
      );
    }
  }
  return { features, rows: instances.length, body, parsed: instances };
}

/** The validated instances as sent (for capture): parsed here when the fast path ran, so only for sampled requests. */
export function sentInstances(invocation: Invocation): readonly unknown[] {
  return invocation.parsed ?? (JSON.parse(invocation.body) as { instances: unknown[] }).instances;
}

/** The feature values of a validated instance, in feature order (for capture). */
export function instanceValues(instance: unknown, layout: FeatureLayout): number[] {
  if (Array.isArray(instance)) return instance as number[];
  const named = instance as Record<string, number>;
  return layout.featureNames.map((name) => named[name]);
}

/** The common case, checked without allocating; zod (below) decides and words the error otherwise. */
function isWellFormedEnvelope(json: unknown, maxInstances: number): json is { instances: unknown[] } {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return false;
  const { instances } = json as { instances?: unknown };
  let keys = 0;
  for (const key in json) if (Object.hasOwn(json, key)) keys++;
  return keys === 1 && Array.isArray(instances) && instances.length >= 1 && instances.length <= maxInstances;
}

function envelopeError(json: unknown, maxInstances: number): never {
  const envelope = envelopeSchema(maxInstances).safeParse(json);
  const issue = envelope.success ? undefined : envelope.error.issues[0];
  const path = issue?.path.length ? issue.path.map(String).join('.') : 'body';
  throw new InvalidRequestError(`${path}: ${issue?.message ?? 'expected an object {"instances": [...]}'}`);
}

const envelopeCache = new Map<number, z.ZodMiniType<{ instances: unknown[] }>>();
function envelopeSchema(maxInstances: number): z.ZodMiniType<{ instances: unknown[] }> {
  let schema = envelopeCache.get(maxInstances);
  if (!schema) {
    schema = z.strictObject(
      {
        instances: z
          .array(z.unknown(), { error: 'expected an array of instances' })
          .check(z.minLength(1, 'expected at least one instance'), z.maxLength(maxInstances, `at most ${maxInstances} instances per request`)),
      },
      { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.slice(0, 5).map(describe).join(', ')}; expected only "instances"` : 'expected an object {"instances": [...]}') },
    );
    envelopeCache.set(maxInstances, schema);
  }
  return schema;
}

function readPositional(row: unknown[], r: number, out: Float32Array, layout: FeatureLayout): void {
  const { width } = layout;
  if (row.length !== width) {
    throw new InvalidRequestError(
      `instances[${r}]: expected ${width} values in feature order (${layout.featureNames.join(', ')}), got ${row.length}`,
    );
  }
  const offset = r * width;
  for (let c = 0; c < width; c++) {
    const value = row[c];
    if (typeof value !== 'number' || !(value <= FLOAT32_MAX && value >= -FLOAT32_MAX)) {
      throw new InvalidRequestError(`instances[${r}][${c}]: ${valueProblem(value)}`);
    }
    out[offset + c] = value;
  }
}

function readNamed(row: Record<string, unknown>, r: number, out: Float32Array, layout: FeatureLayout): void {
  const offset = r * layout.width;
  const keys = Object.keys(row);
  for (const key of keys) {
    const column = layout.featureIndex.get(key);
    if (column === undefined) throw new InvalidRequestError(`instances[${r}]: unknown feature ${describe(key)}`);
    const value = row[key];
    if (typeof value !== 'number' || !(value <= FLOAT32_MAX && value >= -FLOAT32_MAX)) {
      throw new InvalidRequestError(`instances[${r}].${key}: ${valueProblem(value)}`);
    }
    out[offset + column] = value;
  }
  // Keys are distinct and all known, so fewer keys than features means one is missing.
  if (keys.length !== layout.width) {
    const missing = layout.featureNames.find((name) => !Object.hasOwn(row, name));
    throw new InvalidRequestError(`instances[${r}]: missing feature "${missing}"`);
  }
}

function valueProblem(value: unknown): string {
  return typeof value === 'number'
    ? `expected a finite number within float32 range, got ${value}`
    : `expected a finite number, got ${describe(value)}`;
}

/** A short description of a bad value for an error message; never echoes a large value back. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
