import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readNumber, scanPositionalRows } from '../../../lambdas/inference/positional-rows';

const FLOAT32_MAX = 3.4028234663852886e38;
const WIDTH = 4;
const MAX_INSTANCES = 8;

/** What the full parser makes of a number's text: float32 of JSON's float64, NaN where it refuses the value. */
const expectedValue = (text: string) => {
  const value = Number(text);
  return value <= FLOAT32_MAX && value >= -FLOAT32_MAX ? Math.fround(value) : Number.NaN;
};

/** The independent oracle: JSON.parse, then the envelope and row rules the full parser applies to positional rows. */
function oracle(body: string): Float32Array | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json) || Object.keys(json).length !== 1) return undefined;
  const { instances } = json as { instances?: unknown };
  if (!Array.isArray(instances) || instances.length < 1 || instances.length > MAX_INSTANCES) return undefined;
  const valid = instances.every(
    (row) => Array.isArray(row) && row.length === WIDTH && row.every((v) => typeof v === 'number' && Math.abs(v) <= FLOAT32_MAX),
  );
  return valid ? Float32Array.from((instances as number[][]).flat()) : undefined;
}

/** A double written the ways clients write numbers: shortest form, exponent, fixed and precision forms. */
const numberText = fc
  .tuple(
    fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.float({ noNaN: true, noDefaultInfinity: true }).map(Number),
      // Exactly halfway between two neighbouring float32s: the case double rounding gets wrong if it can.
      fc.float({ min: Math.fround(-1e30), max: Math.fround(1e30), noNaN: true }).map((a) => {
        const next = new Float32Array([a]);
        new Uint32Array(next.buffer)[0] += 1;
        return (a + next[0]) / 2;
      }),
      fc.integer({ min: -30, max: 30 }).chain((e) => fc.double({ min: -10, max: 10, noNaN: true }).map((m) => m * 10 ** e)),
    ),
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max: 20 }),
  )
  .map(([x, form, digits]) => {
    if (form === 0 || !Number.isFinite(x)) return String(x);
    if (form === 1) return x.toExponential(digits).replace('e+', 'E+');
    if (form === 2) return Math.abs(x) < 1e21 ? x.toFixed(digits) : String(x);
    return x.toPrecision(digits + 1);
  })
  .filter((text) => /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text));

/** readNumber's input: the text's bytes, then the 0 that scanPositionalRows puts after a body. */
const read = (text: string) => readNumber(new Uint8Array([...Buffer.from(text, 'ascii'), 0]), text, 0);

describe('readNumber', () => {
  it('gives Math.fround(Number(text)) for every JSON number (NaN beyond float32)', () => {
    fc.assert(
      fc.property(numberText, (text) => {
        expect(Object.is(read(`${text},`), expectedValue(text))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    '0', '-0', '-0.0e5', '16777217', '0.1', '1e-50', '1e39', '-1e39', '3.4028235e38', '3.4028234e38',
    '340282346638528859811704183484516925440', '123456789012345678901234567890', '1.00000000000000000000000000001',
    '0.000000000000000000000000000000000000000000001', '7.006492321624085e-46', '7.006492321624087e-46', '1E+2',
  ])('reads %s as the full parser does', (text) => {
    expect(Object.is(read(text), expectedValue(text))).toBe(true);
  });

  it.each(['-', '.5', '1.', '1e', '1e+', '+1', '--1', 'NaN', 'Infinity', '"1"'])('refuses %s', (text) => {
    expect(read(`${text},`)).toBeNaN();
  });
});

const row = fc.array(numberText, { minLength: WIDTH, maxLength: WIDTH });
const space = fc.constantFrom('', '', ' ', '\n', '\t', '\r\n  ');
/** Positional bodies with JSON whitespace between tokens; then the same bodies cut, patched or spliced. */
const positionalBody = fc
  .tuple(fc.array(row, { minLength: 1, maxLength: MAX_INSTANCES }), space, space)
  .map(([rows, a, b]) => `${a}{${b}"instances"${a}:${b}[${rows.map((r) => `${a}[${b}${r.join(`${a},${b}`)}${a}]`).join(`${b},`)}${a}]${b}}${a}`);
const damagedBody = fc.oneof(
  positionalBody.chain((text) => fc.nat(text.length).map((cut) => text.slice(0, cut))),
  fc.tuple(positionalBody, fc.nat(), fc.constantFrom('x', ',', ']', '[', '"', '-', '.', 'e', '0', '{', '}', ' ', '9', '\u00a0', '\u0130', '\u{1d7ce}', '\u0000')).map(([text, at, ch]) => {
    const i = at % text.length;
    return text.slice(0, i) + ch + text.slice(i + 1);
  }),
  fc.tuple(fc.array(fc.array(fc.double(), { maxLength: 6 }), { maxLength: 10 }), fc.option(fc.jsonValue())).map(([rows, extra]) =>
    JSON.stringify(extra === null ? { instances: rows } : { instances: rows, extra }),
  ),
  fc.jsonValue().map((v) => JSON.stringify(v)),
);

describe('scanPositionalRows', () => {
  it('reads every well-formed positional body, whitespace included, to the full parser\'s tensor', () => {
    fc.assert(
      fc.property(positionalBody, (body) => {
        const expected = oracle(body);
        const scanned = scanPositionalRows(body, WIDTH, MAX_INSTANCES);
        if (!expected) {
          expect(scanned).toBeUndefined();
          return;
        }
        expect(scanned).toBeDefined();
        expect(Array.from(scanned!.values.subarray(0, scanned!.rows * WIDTH))).toEqual(Array.from(expected));
      }),
      { numRuns: 3_000 },
    );
  });

  it('accepts nothing the full parser would refuse, and reads what it accepts to the same values', () => {
    fc.assert(
      fc.property(damagedBody, (body) => {
        const scanned = scanPositionalRows(body, WIDTH, MAX_INSTANCES);
        if (!scanned) return;
        const expected = oracle(body);
        expect(expected).toBeDefined();
        expect(Array.from(scanned.values.subarray(0, scanned.rows * WIDTH))).toEqual(Array.from(expected!));
      }),
      { numRuns: 5_000 },
    );
  });

  it('leaves more rows than the limit to the full parser, which words the error', () => {
    const body = JSON.stringify({ instances: Array.from({ length: MAX_INSTANCES + 1 }, () => [1, 2, 3, 4]) });
    expect(scanPositionalRows(body, WIDTH, MAX_INSTANCES)).toBeUndefined();
    expect(scanPositionalRows(body, WIDTH, MAX_INSTANCES + 1)?.rows).toBe(MAX_INSTANCES + 1);
  });
});
