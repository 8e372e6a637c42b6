import * as doubleDouble from './double-double';
import type { DD } from './double-double';

/**
 * Survival function of the one-sided Kolmogorov-Smirnov (Smirnov) statistic, P(D+_n >= x), which the two-sided
 * distribution (kolmogorov.ts) doubles where both tails cannot be exceeded at once. It sums the Smirnov/Birnbaum-Tingey
 * series in double-double arithmetic, from the lower or the upper end, with the binomial coefficient kept as mantissa
 * and exponent so it never overflows (van Mulbregt 2018, the method scipy.special.smirnov uses;
 * test/lambdas/drift/statistics/smirnov.test.ts holds the results to it).
 */

// Bound once: calls through the module namespace go through a getter each time, which dominated the run time.
const DDm = { ...doubleDouble };

/** Above this n the exact sum takes too long and an asymptotic formula is used instead. */
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;
/** Use the upper sum if it has at most this many terms and n is at least UPPER_SUM_MIN_N. */
const UPPER_SUM_MAX_TERMS = 3;
const UPPER_SUM_MIN_N = 10;
/** log(2^-1075), below which exp() underflows to 0. */
const MIN_LOG_DOUBLE = -7.451332191019412076235e2;
/** Keeps both halves of a double-double normal while powering. */
const MAX_EXPONENT = 960;
const DBL_EPSILON = 2 ** -52;
const DBL_MANT_DIG = 53;

/** Smallest power of two >= x, as an exact double. */
function nextPowerOf2(x: number): number {
  const q = DDm.ldexpNumber(x, 1 - DBL_MANT_DIG);
  let l = Math.abs(q + x);
  if (l === 0) l = Math.abs(x);
  else if (Math.trunc(l) === l) l = Math.trunc(l);
  return l;
}

/** a^m in double-double, using pow() on the high part and a first-order correction for the low part. */
function powDD(a: DD, m: number): DD {
  if (m <= 0) {
    if (m === 0) return DDm.DD_ONE;
    return DDm.inv(powDD(a, -m));
  }
  if (DDm.isZero(a)) return DDm.DD_ZERO;
  const ans = Math.pow(a.hi, m);
  const r = a.lo / a.hi;
  let adj = m * r;
  if (Math.abs(adj) > 1e-8) {
    if (Math.abs(adj) < 1e-4) adj += m * r * (((m - 1) / 2.0) * r);
    else adj = Math.expm1(m * Math.log1p(r));
  }
  return DDm.addDoubles(ans, ans * adj);
}

/** a^m as (significand, exponent), splitting the power so no intermediate underflows. */
function pow2Scaled(a: DD, m: number): [DD, number] {
  if (m <= 0) {
    if (m === 0) return [DDm.DD_ONE, 0];
    const [ans, aE1] = pow2Scaled(a, -m);
    const [inverse, aE2] = DDm.frexp(DDm.inv(ans));
    return [inverse, -aE1 + aE2];
  }
  const [y, yE] = DDm.frexp(a);
  if (m === 1) return [y, yE];
  let maxExpt = MAX_EXPONENT;
  if ((m * (y.hi - 1)) / y.hi < -MAX_EXPONENT * Math.LN2) {
    const lg2y = Math.log(y.hi) / Math.LN2;
    const lgAns = m * lg2y;
    if (lgAns <= -MAX_EXPONENT) maxExpt = Math.trunc(nextPowerOf2(-MAX_EXPONENT / lg2y + 1) / 2);
  }
  if (m <= maxExpt) {
    const [ans, ansE] = DDm.frexp(powDD(y, m));
    return [ans, ansE + m * yE];
  }
  const q = Math.trunc(m / maxExpt);
  const r = m % maxExpt;
  const [y2r, y2rE] = pow2Scaled(y, r);
  const [y2m, y2mE] = pow2Scaled(y, maxExpt);
  const [y2mq, y2mqE0] = pow2Scaled(y2m, q);
  const [ans, ansE0] = DDm.frexp(DDm.mul(y2r, y2mq));
  const y2mqE = y2mqE0 + y2mE * q;
  return [ans, ansE0 + y2mqE + y2rE + m * yE];
}

/** ((a + b) / (c + d))^m in double-double. */
function pow4(a: number, b: number, c: number, d: number, m: number): DD {
  if (m <= 0) {
    if (m === 0) return DDm.DD_ONE;
    return pow4(c, d, a, b, -m);
  }
  const A = DDm.addDoubles(a, b);
  const C = DDm.addDoubles(c, d);
  if (DDm.isZero(A)) return DDm.isZero(C) ? DDm.dd(NaN, NaN) : DDm.DD_ZERO;
  if (DDm.isZero(C)) return A.hi < 0 ? DDm.dd(-Infinity, -Infinity) : DDm.dd(Infinity, Infinity);
  return powDD(DDm.div(A, C), m);
}

/** floor(n*x) and the fractional part, exactly; a remainder that rounds to 1 moves to the next integer. */
function modNX(n: number, x: number): { alpha: number; nxFloor: number } {
  const nxD = DDm.mulDoubles(n, x);
  const nxFloorD = DDm.floor(nxD);
  let alpha = DDm.sub(nxD, nxFloorD).hi;
  let nxFloor = Math.trunc(nxFloorD.hi);
  if (alpha === 1) {
    nxFloor += 1;
    alpha = 0;
  }
  return { alpha, nxFloor };
}

/** Binomial(n, j+1) from Binomial(n, j), as a mantissa in [0.5, 1) and a binary exponent. */
function updateBinomial(c: { man: DD; expt: number }, n: number, j: number): void {
  const rat = DDm.divDoubles(n - j, j + 1.0);
  const [man, expt] = DDm.frexp(DDm.mul(c.man, rat));
  c.expt += expt;
  c.man = man;
}

/** A_v(n, x) = Binomial(n, v) * (1 - x - v/n)^(n-v) * (x + v/n)^(v-1), the v-th term of the series. */
function termAv(n: number, x: number, v: number, c: { man: DD; expt: number }): DD {
  const t2x = DDm.subNumber(DDm.divDoubles(n - v, n), x);
  const [t2, t2E] = pow2Scaled(t2x, n - v);
  const t1x = DDm.addNumber(DDm.divDoubles(v, n), x);
  const [t1, t1E] = pow2Scaled(t1x, v - 1);
  const ans = DDm.mul(DDm.mul(t1, t2), c.man);
  return DDm.ldexp(ans, c.expt + t1E + t2E);
}

/**
 * A_v * 2^scale with both powers by binary powering (powInteger): pow2Scaled raises pow()'s rounded result
 * to further powers, which leaves ~1e-14 relative error per term in sumTermByTerm (there it averages out
 * over every term; an anchor's error would be carried by the terms after it).
 */
function termAvAccurate(n: number, x: number, v: number, c: { man: DD; expt: number }, scale: number): DD {
  const [t2, t2E] = DDm.powInteger(DDm.subNumber(DDm.divDoubles(n - v, n), x), n - v);
  const t1x = DDm.addNumber(DDm.divDoubles(v, n), x);
  // v = 0: (x + 0)^-1.
  const [t1, t1E] = v === 0 ? [DDm.inv(t1x), 0] : DDm.powInteger(t1x, v - 1);
  const ans = DDm.mul(DDm.mul(t1, t2), c.man);
  return DDm.ldexp(ans, c.expt + t1E + t2E + scale);
}

const clip01 = (p: number) => (p < 0 ? 0 : Math.min(p, 1));

/**
 * The series term by term, every term in double-double: the upper sum (from v = n down) or the lower sum
 * (from v = 0 up), stopping once the remaining terms cannot change the double result.
 */
function sumTermByTerm(n: number, x: number, nTerms: number, useUpperSum: boolean): number {
  const start = useUpperSum ? n : 0;
  const step = useUpperSum ? -1 : 1;
  const vmid = Math.trunc(n / 2);
  const binomial = { man: DDm.DD_ONE, expt: 0 };
  let aj = useUpperSum ? pow4(1, x, 1, 0, n - 1) : DDm.divNumber(pow4(1, -x, 1, 0, n), x);
  let ajSum = DDm.add(DDm.DD_ZERO, aj);
  updateBinomial(binomial, n, 0);

  for (let j = 1; j < nTerms; j += 1) {
    const v = start + j * step;
    aj = termAv(n, x, v, binomial);
    if (DDm.isFinite(aj) && !DDm.isZero(aj)) ajSum = DDm.add(ajSum, aj);
    // Safe to stop early once the remaining terms cannot change the sum.
    if (!DDm.isZero(aj)) {
      if (4 * (nTerms - j) * Math.abs(aj.hi) < DBL_EPSILON * ajSum.hi && j !== nTerms - 1) break;
    } else if (j > vmid) break;
    updateBinomial(binomial, n, j);
  }
  return DDm.mulNumber(ajSum, x).hi;
}

/** Lower sums shorter than this go term by term (sumTermByTerm): they are cheap. */
const FAST_MIN_TERMS = 1000;
/** A double-double term (anchor) at every ANCHOR_SPACING-th v; see lowerSumByRecurrence. */
const ANCHOR_SPACING = 32;
/** The fast sum works on A_v * 2^TERM_SCALE (see lowerSumByRecurrence for why nothing overflows). */
const TERM_SCALE = 900;
/** Below this the result is handed to sumTermByTerm, which rounds subnormal tails exactly. */
const FAST_MIN_PROB = 2 ** -960;
const LOG_FAST_MIN_PROB = -960 * Math.LN2;
const SPLITTER = 134217729.0; // 2^27 + 1

/**
 * The lower sum x * sum_{v < nTerms} A_v, at a few per cent of the cost of evaluating every term in
 * double-double (~n/2 terms, 5e5 for two samples of 1e6).
 *
 * Every ANCHOR_SPACING-th term (an anchor) is evaluated in double-double (termAvAccurate). The terms in between
 * follow from their predecessor by the ratio, with a = n x (kept as floor(n x) + alpha, so a + v is rounded once):
 *   A_{v+1} / A_v = (n-v)(a+v+1) / ((v+1)(n-a-v)) * exp((v-1) log1p(1/(a+v)) + (n-v-1) log1p(-1/(n-a-v))).
 * Both exponent parts are at most ~1 in magnitude on the terms that matter, so each ratio carries a few
 * ulps of relative error; a term is at most ANCHOR_SPACING - 1 ratios from an exact anchor, so every term,
 * and hence the sum of these positive terms, is within ~32 * 8 * 2^-53 < 3e-14 of the exact value (against
 * mpmath a block drifts by ~1e-15). Pow and double-double work stays at the anchors.
 *
 * The binomial coefficient for the next anchor is C(n, v) * prod(n - i) / prod(i + 1) over the block, both
 * products of integers < 2^20 kept in double-double (at most 2^640 for 32 factors, so no rescaling).
 *
 * Scaling: A_v = Binomial(n, v) p^v (1-p)^(n-v) / p with p = (a+v)/n, a binomial probability over p,
 * so A_v <= n / (a + v) <= 1/x <= n <= 2^20. Scaled by 2^900 every term and the sum of at most 2^20 terms
 * stay below 2^940. The result is only used when it is >= 2^-960, i.e. the sum >= 2^-960 / x; a term that
 * underflows in the scaled form is below 2^-1922 (and its block, at most 32 ratios of at most n each, below
 * 2^-1300), a relative contribution under 2^-300.
 */
function lowerSumByRecurrence(n: number, x: number, nTerms: number, nxFloor: number, alpha: number): number {
  const vmid = Math.trunc(n / 2);
  const binomial = { man: DDm.DD_ONE, expt: 0 };
  let sum = 0;
  let compensation = 0; // Neumaier
  for (let anchor = 0; anchor < nTerms; anchor += ANCHOR_SPACING) {
    const blockEnd = Math.min(anchor + ANCHOR_SPACING, nTerms);
    let t = termAvAccurate(n, x, anchor, binomial, TERM_SCALE).hi;
    let numHi = 1;
    let numLo = 0;
    let denHi = 1;
    let denLo = 0;
    for (let v = anchor; v < blockEnd; v++) {
      if (v > anchor) {
        const aPlusV = nxFloor + v - 1 + alpha; // a + (v-1): the ratio from v-1 to v
        const nMinusAMinusV = n - nxFloor - (v - 1) - alpha;
        const exponent = (v - 2) * Math.log1p(1 / aPlusV) + (n - v) * Math.log1p(-1 / nMinusAMinusV);
        t *= (((n - v + 1) * (aPlusV + 1)) / (v * nMinusAMinusV)) * Math.exp(exponent);
      }
      const next = sum + t;
      compensation += Math.abs(sum) >= t ? sum - next + t : t - next + sum;
      sum = next;
      // The term-by-term sum's stopping rule, on the scaled values.
      if (v > 0) {
        if (t !== 0) {
          if (4 * (nTerms - v) * t < DBL_EPSILON * sum && v !== nTerms - 1) return finishScaled(sum + compensation, x);
        } else if (v > vmid) return finishScaled(sum + compensation, x);
      }
      // Binomial(n, v + 1) / Binomial(n, v) = (n - v) / (v + 1): multiply the products, exactly split.
      let p = numHi * (n - v);
      let split = SPLITTER * numHi;
      let high = split - (split - numHi);
      let lo = high * (n - v) - p + (numHi - high) * (n - v) + numLo * (n - v);
      numHi = p + lo;
      numLo = lo - (numHi - p);
      p = denHi * (v + 1);
      split = SPLITTER * denHi;
      high = split - (split - denHi);
      lo = high * (v + 1) - p + (denHi - high) * (v + 1) + denLo * (v + 1);
      denHi = p + lo;
      denLo = lo - (denHi - p);
    }
    const [man, expt] = DDm.frexp(DDm.div(DDm.mul(binomial.man, DDm.dd(numHi, numLo)), DDm.dd(denHi, denLo)));
    binomial.man = man;
    binomial.expt += expt;
  }
  return finishScaled(sum + compensation, x);
}

const finishScaled = (scaledSum: number, x: number) => DDm.ldexpNumber(scaledSum * x, -TERM_SCALE);

/** P(D+_n >= x) for the one-sided KS statistic of a sample of size n (scipy calls it `special.smirnov`). */
export function smirnovSf(n: number, x: number): number {
  if (Number.isNaN(x) || !(n > 0 && x >= 0.0 && x <= 1.0)) return NaN;
  if (n === 1) return 1 - x;
  if (x === 0.0) return 1.0;
  if (x === 1.0) return 0.0;

  const { alpha, nxFloor } = modNX(n, x);
  let n1mxFloor = n - nxFloor - (alpha === 0 ? 0 : 1);
  let n1mxCeil = n - nxFloor;
  // With alpha == 0 the last term belongs to neither summation.
  if (alpha === 0) {
    n1mxFloor -= 1;
    n1mxCeil += 1;
  }

  // x <= 1/n
  if (nxFloor === 0 || (nxFloor === 1 && alpha === 0)) {
    const t = pow4(1, x, 1, 0, n - 1).hi;
    return clip01(1 - x * t);
  }
  // The survival function underflows.
  if (-2 * n * x * x < MIN_LOG_DOUBLE) return 0;
  // x >= 1 - 1/n
  if (nxFloor >= n - 1) return pow4(1, -x, 1, 0, n).hi;
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    // p ~ exp(-(6nx+1)^2 / 18n)
    const logp = -Math.pow(6.0 * n * x + 1, 2) / 18.0 / n;
    if (logp < -Math.LN2) return Math.exp(logp);
    const cdf = -Math.expm1(logp);
    return 1 - cdf;
  }

  // The upper sum loses about 1.6 bits per term, so only when it has very few.
  const nUpperTerms = n - n1mxCeil + 1;
  const useUpperSum =
    (nUpperTerms <= 1 && x < 0.5) ||
    (n >= UPPER_SUM_MIN_N && nUpperTerms <= UPPER_SUM_MAX_TERMS && x <= 0.5 / Math.sqrt(n));
  // The upper sum gives the CDF, the lower sum the survival function.
  if (useUpperSum) return clip01(1 - sumTermByTerm(n, x, nUpperTerms, true));

  const nTerms = n1mxFloor + 1;
  // P(D+_n >= x) <= exp(-2 n x^2) (Massart 1990): skip the fast sum when it could only fall below FAST_MIN_PROB.
  if (nTerms >= FAST_MIN_TERMS && -2 * n * x * x >= LOG_FAST_MIN_PROB) {
    const prob = lowerSumByRecurrence(n, x, nTerms, nxFloor, alpha);
    if (prob >= FAST_MIN_PROB) return clip01(prob);
  }
  return clip01(sumTermByTerm(n, x, nTerms, false));
}
