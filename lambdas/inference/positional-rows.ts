/**
 * The fast path for the common invocation body, `{"instances":[[n,n,...],...]}`: positional rows of JSON numbers
 * (JSON whitespace allowed between tokens), read straight into float32 without building JSON values. At batch 1
 * parsing is the largest share of the handler's own time, and this costs less than JSON.parse alone on the same
 * body, before any validation (`npm run bench` measures the handler against a hand-written JSON.parse one).
 *
 * It gives exactly the tensor the full parser (request-schema.ts) gives, `Math.fround(Number(text))` per value,
 * and only accepts bodies the full parser accepts: on anything else (another shape, named features, a row of the
 * wrong length, a value beyond float32, a syntax error, too many rows) it returns undefined and the full parser decides
 * and words the error, so no message depends on which path ran.
 */

/** Largest float32; beyond it a value would become Infinity in the model's input. */
const FLOAT32_MAX = 3.4028234663852886e38;
const INSTANCES_KEY = '"instances"';
/** Exact powers of ten in float64 (10^22 is the largest). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** Significant digits kept; later ones change the value by under 1e-17 relative, far inside RELATIVE_ERROR. */
const MAX_DIGITS = 18;
/** Up to this many significant digits the mantissa is an exact double (below 2^53). */
const EXACT_DIGITS = 15;
/**
 * Bound on the relative error of the value read from 16 to 18 digits: digits beyond 18 dropped (under 1e-17), the
 * two 9-digit halves joined (a multiply and an add, each rounded by at most 2^-53), one scaling by an exact power of
 * ten (2^-53); together under 1e-15. Ten times that leaves a margin.
 */
const RELATIVE_ERROR = 1e-14;

/** Values read by the last successful `scanPositionalRows`, row-major; grown as needed and reused. */
let scratch = new Float32Array(256);
/** The body's bytes (ASCII), then a 0 that ends every token; grown as needed and reused. */
let bytes = new Uint8Array(1024);
const encoder = new TextEncoder();
/** End of the number read by `readNumber`. */
let numberEnd = 0;

export interface ScannedRows {
  rows: number;
  /** `rows * width` values, valid until the next scan. */
  values: Float32Array;
}

/**
 * Reads a positional-rows body; undefined when the full parser must decide. The body is first copied into bytes
 * (one native call): reading a byte costs a quarter of `charCodeAt`, which dominated the scan. Anything but ASCII
 * is left to the full parser, so a byte offset is a character offset.
 */
export function scanPositionalRows(body: string, width: number, maxInstances: number): ScannedRows | undefined {
  const end = body.length;
  if (bytes.length <= end) bytes = new Uint8Array(Math.max(end + 1, bytes.length * 2));
  const { read, written } = encoder.encodeInto(body, bytes);
  if (read !== end || written !== end) return undefined;
  bytes[end] = 0;
  let i = skipSpace(0);
  if (bytes[i] !== 0x7b /* { */ || !startsWithInstancesKey(i = skipSpace(i + 1))) return undefined;
  i = skipSpace(i + INSTANCES_KEY.length);
  if (bytes[i] !== 0x3a /* : */) return undefined;
  i = skipSpace(i + 1);
  if (bytes[i] !== 0x5b /* [ */) return undefined;
  let rows = 0;
  let n = 0;
  for (;;) {
    i = skipSpace(i + 1);
    if (bytes[i] !== 0x5b || ++rows > maxInstances) return undefined;
    if (scratch.length < rows * width) grow(rows * width, n);
    for (let c = 0; c < width; c++) {
      const value = readNumber(bytes, body, skipSpace(i + 1));
      if (Number.isNaN(value)) return undefined;
      scratch[n++] = value;
      i = skipSpace(numberEnd);
      if (bytes[i] !== (c === width - 1 ? 0x5d /* ] */ : 0x2c /* , */)) return undefined;
    }
    i = skipSpace(i + 1);
    const next = bytes[i];
    if (next === 0x5d) break;
    if (next !== 0x2c) return undefined;
  }
  i = skipSpace(i + 1);
  if (bytes[i] !== 0x7d /* } */ || skipSpace(i + 1) !== end) return undefined;
  return { rows, values: scratch };
}

function startsWithInstancesKey(i: number): boolean {
  for (let k = 0; k < INSTANCES_KEY.length; k++) if (bytes[i + k] !== INSTANCES_KEY.charCodeAt(k)) return false;
  return true;
}

function grow(size: number, keep: number): void {
  const grown = new Float32Array(Math.max(size, scratch.length * 2));
  grown.set(scratch.subarray(0, keep));
  scratch = grown;
}

/** JSON whitespace only (JSON.parse refuses any other). */
function skipSpace(i: number): number {
  for (;;) {
    const c = bytes[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/**
 * The JSON number at `i` of `text` (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`) as float32, read from `text`'s ASCII
 * bytes `b` (a token ends at the first byte that cannot continue it; a 0 after the text ends the last one), with
 * its end in `numberEnd`; NaN on a syntax error or a value outside float32's range.
 *
 * The decimal is read as mantissa × 10^scale. Up to 15 significant digits and |scale| ≤ 22 both factors are exact
 * doubles, so one multiplication or division rounds the exact decimal to the nearest double: Number(text) itself
 * (Clinger's fast path). With 16 to 18 digits the mantissa is approximated within RELATIVE_ERROR; when float32
 * rounding is the same at both ends of that error interval, it is also the rounding of Number(text) (which lies in
 * the interval; rounding is monotonic). Otherwise, and for exponents beyond the exact powers of ten, the text is
 * converted exactly. The result is always Math.fround(Number(text)), the full parser's value.
 */
export function readNumber(b: Uint8Array, text: string, i: number): number {
  const start = i;
  let c = b[i];
  const negative = c === 0x2d; /* - */
  if (negative) c = b[++i];
  // Significant digits go into two int32 accumulators of 9 digits each (integer multiply-adds are quicker than
  // float ones); digits beyond 18 are dropped.
  let high = 0;
  let low = 0;
  let digits = 0;
  let scale = 0;
  if (c === 0x30 /* 0 */) c = b[++i];
  else if (c >= 0x31 && c <= 0x39) {
    do {
      if (digits < 9) {
        high = high * 10 + (c - 0x30);
        digits++;
      } else if (digits < MAX_DIGITS) {
        low = low * 10 + (c - 0x30);
        digits++;
      } else scale++;
      c = b[++i];
    } while (c >= 0x30 && c <= 0x39);
  } else return Number.NaN;
  if (c === 0x2e /* . */) {
    c = b[++i];
    if (!(c >= 0x30 && c <= 0x39)) return Number.NaN;
    do {
      if (digits < 9) {
        high = high * 10 + (c - 0x30);
        scale--;
        // Leading zeros of a fraction (0.000123) are not significant digits.
        if (high !== 0) digits++;
      } else if (digits < MAX_DIGITS) {
        low = low * 10 + (c - 0x30);
        scale--;
        digits++;
      }
      c = b[++i];
    } while (c >= 0x30 && c <= 0x39);
  }
  if (c === 0x65 || c === 0x45 /* e E */) {
    c = b[++i];
    const negativeExponent = c === 0x2d;
    if (negativeExponent || c === 0x2b /* + */) c = b[++i];
    if (!(c >= 0x30 && c <= 0x39)) return Number.NaN;
    let exponent = 0;
    do {
      // Past 10^6 the value is 0 or out of range whatever the mantissa; the exact path below decides.
      if (exponent < 1e6) exponent = exponent * 10 + (c - 0x30);
      c = b[++i];
    } while (c >= 0x30 && c <= 0x39);
    scale += negativeExponent ? -exponent : exponent;
  }
  numberEnd = i;
  const mantissa = digits > 9 ? high * POW10[digits - 9] + low : high;
  if (mantissa === 0) return negative ? -0 : 0;
  if (scale < -22 || scale > 22) return exact(text, start, i);
  const nearest = scale < 0 ? mantissa / POW10[-scale] : mantissa * POW10[scale];
  const rounded = Math.fround(nearest);
  if (nearest > FLOAT32_MAX) return exact(text, start, i);
  if (
    digits > EXACT_DIGITS &&
    (Math.fround(nearest * (1 - RELATIVE_ERROR)) !== rounded || Math.fround(nearest * (1 + RELATIVE_ERROR)) !== rounded)
  ) {
    return exact(text, start, i);
  }
  return negative ? -rounded : rounded;
}

/** Number(text) as float32, or NaN beyond float32's range (which the full parser refuses). */
function exact(text: string, start: number, end: number): number {
  const value = Number(text.slice(start, end));
  return value <= FLOAT32_MAX && value >= -FLOAT32_MAX ? Math.fround(value) : Number.NaN;
}
