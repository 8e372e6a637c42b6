/**
 * Double-double arithmetic (a value is hi + lo with |lo| <= ulp(hi)/2), after the QD library (Hida, Li and Bailey):
 * about 106 bits of precision for the one-sided Smirnov series (smirnov.ts). Only the operations that series needs.
 * Products use Dekker's split instead of a fused multiply-add; both give the exact error term.
 */
export interface DD {
  hi: number;
  lo: number;
}

const SPLITTER = 134217729.0; // 2^27 + 1
const SPLIT_THRESHOLD = 6.69692879491417e299; // 2^996

/** The double-double hi + lo. */
export const dd = (hi: number, lo = 0): DD => ({ hi, lo });
/** 0 as a double-double. */
export const DD_ZERO: DD = dd(0);
/** 1 as a double-double. */
export const DD_ONE: DD = dd(1);

function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  return { hi: s, lo: b - (s - a) };
}

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const c = s - a;
  const d = b - c;
  const e = s - c;
  return { hi: s, lo: a - e + d };
}

function split(a: number): [number, number] {
  if (a > SPLIT_THRESHOLD || a < -SPLIT_THRESHOLD) {
    const scaled = a * 3.7252902984619140625e-9; // 2^-28
    const temp = SPLITTER * scaled;
    const hi = temp - (temp - scaled);
    return [hi * 268435456.0, (scaled - hi) * 268435456.0];
  }
  const temp = SPLITTER * a;
  const hi = temp - (temp - a);
  return [hi, a - hi];
}

function twoProd(a: number, b: number): DD {
  const p = a * b;
  const [aHi, aLo] = split(a);
  const [bHi, bLo] = split(b);
  const c = aHi * bHi - p;
  const d = c + aHi * bLo + aLo * bHi;
  return { hi: p, lo: d + aLo * bLo };
}

/** a + b of two doubles, exactly. */
export const addDoubles = (a: number, b: number): DD => twoSum(a, b);
/** a * b of two doubles, exactly. */
export const mulDoubles = (a: number, b: number): DD => twoProd(a, b);

/** IEEE-style addition (Briggs and Kahan). */
export function add(a: DD, b: DD): DD {
  const s = twoSum(a.hi, b.hi);
  const t = twoSum(a.lo, b.lo);
  let r = quickTwoSum(s.hi, s.lo + t.hi);
  r = quickTwoSum(r.hi, r.lo + t.lo);
  return r;
}

/** -a. */
const neg = (a: DD): DD => ({ hi: -a.hi, lo: -a.lo });
/** a - b. */
export const sub = (a: DD, b: DD): DD => add(a, neg(b));

/** a + b of a double-double and a double. */
export function addNumber(a: DD, b: number): DD {
  const s = twoSum(a.hi, b);
  return quickTwoSum(s.hi, s.lo + a.lo);
}

/** a - b of a double-double and a double. */
export function subNumber(a: DD, b: number): DD {
  const s = twoSum(a.hi, -b);
  return quickTwoSum(s.hi, s.lo + a.lo);
}

/** a * b. */
export function mul(a: DD, b: DD): DD {
  const p = twoProd(a.hi, b.hi);
  return quickTwoSum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

/** a * b of a double-double and a double. */
export function mulNumber(a: DD, b: number): DD {
  const p1 = twoProd(a.hi, b);
  const p2 = twoProd(a.lo, b);
  return quickTwoSum(p1.hi, p2.lo + p2.hi + p1.lo);
}

/** Accurate division (three quotient terms). */
export function div(a: DD, b: DD): DD {
  const q1 = a.hi / b.hi;
  let r = sub(a, mulNumber(b, q1));
  const q2 = r.hi / b.hi;
  r = sub(r, mulNumber(b, q2));
  const q3 = r.hi / b.hi;
  return addNumber(quickTwoSum(q1, q2), q3);
}

/** a / b of two doubles, to double-double precision. */
export const divDoubles = (a: number, b: number): DD => div(dd(a), dd(b));
/** a / b of a double-double and a double. */
export const divNumber = (a: DD, b: number): DD => div(a, dd(b));
/** 1 / a. */
export const inv = (a: DD): DD => div(DD_ONE, a);

/** The largest integer <= a. */
export function floor(a: DD): DD {
  const hi = Math.floor(a.hi);
  if (hi !== a.hi) return dd(hi, 0);
  return quickTwoSum(hi, Math.floor(a.lo));
}

/** Whether a is 0. */
export const isZero = (a: DD): boolean => a.hi === 0;
/** Whether a is finite. */
export const isFinite = (a: DD): boolean => Number.isFinite(a.hi);

/** 2^e for every e a double can hold exactly (-1074..1023); Math.pow in the hot loop costs too much. */
const POWERS_OF_TWO = (() => {
  const table = new Float64Array(1023 + 1074 + 1);
  for (let e = -1074; e <= 1023; e++) table[e + 1074] = 2 ** e;
  return table;
})();
const powerOfTwo = (e: number) => POWERS_OF_TWO[e + 1074];

/** x * 2^exponent, as C's ldexp (products by powers of two are exact while the result stays normal). */
export function ldexpNumber(x: number, exponent: number): number {
  let e = exponent;
  let r = x;
  for (; e > 1023; e -= 1023) r *= powerOfTwo(1023);
  for (; e < -1022; e += 1022) r *= powerOfTwo(-1022);
  return r * powerOfTwo(e);
}

const frexpView = new DataView(new ArrayBuffer(8));

/** Splits x into a mantissa in [0.5, 1) (by magnitude) and a power of two, as C's frexp. */
function frexpNumber(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let scaled = x;
  let bias = 0;
  if (Math.abs(x) < 2 ** -1022) {
    scaled = x * 2 ** 64;
    bias = -64;
  }
  frexpView.setFloat64(0, scaled);
  const high = frexpView.getUint32(0);
  const biased = (high >>> 20) & 0x7ff;
  const exponent = biased - 1022;
  frexpView.setUint32(0, (high & 0x800fffff) | (1022 << 20));
  return [frexpView.getFloat64(0), exponent + bias];
}

/** a * 2^exponent. */
export const ldexp = (a: DD, exponent: number): DD => dd(ldexpNumber(a.hi, exponent), ldexpNumber(a.lo, exponent));

/** Mantissa with 0.5 <= |hi| < 1 (or |hi| == 1 with hi*lo < 0) and its exponent. */
export function frexp(a: DD): [DD, number] {
  let [man, exponent] = frexpNumber(a.hi);
  let lo = ldexpNumber(a.lo, -exponent);
  if (Math.abs(man) === 0.5 && man * lo < 0) {
    man *= 2;
    lo *= 2;
    exponent -= 1;
  }
  return [dd(man, lo), exponent];
}

const RESCALE_BELOW = 2 ** -480;
const RESCALE_BY = 2 ** 480;

/**
 * a^m for 0 < a <= 1 and an integer m >= 0, by binary powering in double-double, as a mantissa and a binary
 * exponent (value = mantissa * 2^exponent). Each of the ~2 log2(m) products adds ~2^-104 relative error and
 * squaring doubles what came before, so the result is within ~m * 2^-104 (1e-25 for m = 1e6): unlike
 * pow() of a rounded double, whose error m amplifies. Factors are rescaled by 2^480 below 2^-480, so
 * products stay >= 2^-960 and their low parts normal.
 */
export function powInteger(a: DD, m: number): [DD, number] {
  let baseHi = a.hi;
  let baseLo = a.lo;
  let baseExp = 0;
  let resHi = 1;
  let resLo = 0;
  let resExp = 0;
  for (let k = m; k > 0; k = Math.floor(k / 2)) {
    if (k % 2 === 1) {
      const r = mul(dd(resHi, resLo), dd(baseHi, baseLo));
      resHi = r.hi;
      resLo = r.lo;
      resExp += baseExp;
      if (resHi < RESCALE_BELOW) {
        resHi *= RESCALE_BY;
        resLo *= RESCALE_BY;
        resExp -= 480;
      }
    }
    if (k > 1) {
      const s = mul(dd(baseHi, baseLo), dd(baseHi, baseLo));
      baseHi = s.hi;
      baseLo = s.lo;
      baseExp *= 2;
      if (baseHi < RESCALE_BELOW) {
        baseHi *= RESCALE_BY;
        baseLo *= RESCALE_BY;
        baseExp -= 480;
      }
    }
  }
  return [dd(resHi, resLo), resExp];
}
