import { smirnovSf } from './smirnov';

/**
 * Distribution of the two-sided one-sample Kolmogorov-Smirnov statistic D_n, which gives the KS test its p-value.
 * The method per (n, x) is Simard and L'Ecuyer's (2011) choice: the exact Ruben-Gambino formulas at the ends,
 * 2 * the one-sided (Smirnov) distribution where the two tails cannot both be exceeded, Durbin's matrix algorithm
 * (as Marsaglia, Tsang and Wang evaluate it), the Pomeranz recursion and the Pelz-Good asymptotic series.
 * test/lambdas/drift/statistics.test.ts holds the results to scipy.stats.kstwo.
 */

/** Running products are rescaled by 2^±128 (and the exponent tracked) so they neither overflow nor underflow. */
const RESCALE_EXPONENT = 128;
const RESCALE_UP = 2 ** 128;
const RESCALE_DOWN = 2 ** -128;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const MIN_LOG = -708;
const SQRT3 = Math.sqrt(3);
const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;
/** Stirling coefficients B_2j / (2j) / (2j-1), j = 8..1 (highest power first). */
const STIRLING_COEFFS = [
  -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
  -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2,
];

const clip01 = (p: number) => (p < 0 ? 0 : p > 1 ? 1 : p);
const select = (cdfProb: number, sfProb: number, cdf: boolean) => clip01(cdf ? cdfProb : sfProb);

/** log(n! / n^n) by Stirling's series with n*log(n) removed up front (no cancellation). */
function logNFactorialOverNPowN(n: number): number {
  const rn = 1.0 / n;
  let poly = 0;
  for (const c of STIRLING_COEFFS) poly = poly * (rn / n) + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k];
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] += aik * b[k * m + j];
    }
  }
  return out;
}

/** Pr(D_n <= d) by Durbin's matrix algorithm as Marsaglia, Tsang and Wang (2003) evaluate it. */
function durbinMatrixCdf(n: number, d: number, cdf: boolean): number {
  if (d >= 1.0) return select(1.0, 0.0, cdf);
  const nd = n * d;
  if (nd <= 0.5) return select(0.0, 1.0, cdf);
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;

  // v: first column and (reversed) last row of H; w[j] = 1/j!.
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1.0;
  for (let j = 1; j <= m; j++) {
    v[j - 1] = 1.0 - h ** j;
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] *= fac;
  }
  const tt = Math.max(2 * h - 1.0, 0) ** m - 2 * h ** m;
  v[m - 1] = (1.0 + tt) * fac;

  let H = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)];
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r];
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c];

  let Hpower = new Float64Array(m * m);
  for (let i = 0; i < m; i++) Hpower[i * m + i] = 1;
  let nn = n;
  let expnt = 0; // scaling of Hpower
  let Hexpnt = 0; // scaling of H
  while (nn > 0) {
    if (nn % 2) {
      Hpower = matmul(Hpower, H, m);
      expnt += Hexpnt;
    }
    H = matmul(H, H, m);
    Hexpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]) > RESCALE_UP) {
      for (let i = 0; i < H.length; i++) H[i] /= RESCALE_UP;
      Hexpnt += RESCALE_EXPONENT;
    }
    nn = Math.floor(nn / 2);
  }

  let p = Hpower[(k - 1) * m + (k - 1)];
  // Multiply by n!/n^n.
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < RESCALE_DOWN) {
      p *= RESCALE_UP;
      expnt -= RESCALE_EXPONENT;
    }
  }
  if (expnt !== 0) p *= 2 ** expnt;
  return select(p, 1.0 - p, cdf);
}

/** Endpoints of the non-zero interval of row i in the Pomeranz recursion. */
function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pr(D_n <= x) by the Pomeranz (1974) recursion: rows are convolutions with Poisson-like weights. */
function pomeranzCdf(n: number, x: number, cdf: boolean): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = 1.0 * (t - ll);
  const g = Math.min(f, 1.0 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  // (g/n)^m/m!, (2g/n)^m/m!, ((1-2g)/n)^m/m!: Poisson probabilities without their normalising factor.
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1.0;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1] * gOverN) / m;
    twogpower[m] = (twogpower[m - 1] * twoGOverN) / m;
    onem2gpower[m] = (onem2gpower[m - 1] * oneMinusTwoGOverN) / m;
  }

  let expnt = 0;
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let [j1, j2] = pomeranzJ1J2(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0.0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      const start = k1 - V0s;
      const aLen = Math.min(ln2, npwrs - start);
      const bLen = Math.min(ln2, npwrs);
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      // Entries convStart..convStart+convLen-1 of the full convolution of V0[start..] with pwrs[..ln2].
      let maxV1 = convLen < npwrs ? 0 : -Infinity; // the zero-filled tail takes part in the max
      for (let c = 0; c < convLen; c++) {
        const idx = convStart + c;
        let sum = 0;
        const lo = Math.max(0, idx - bLen + 1);
        const hi = Math.min(idx, aLen - 1);
        for (let a = lo; a <= hi; a++) sum += V0[start + a] * pwrs[idx - a];
        V1[c] = sum;
        if (sum > maxV1) maxV1 = sum;
      }
      if (0 < maxV1 && maxV1 < RESCALE_DOWN) {
        for (let c = 0; c < npwrs; c++) V1[c] *= RESCALE_UP;
        expnt -= RESCALE_EXPONENT;
      }
      V1s = V0s + j1 - k1;
    }
  }

  let ans = V1[n - V1s];
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > RESCALE_UP) {
      ans *= RESCALE_DOWN;
      expnt += RESCALE_EXPONENT;
    }
    ans *= m;
  }
  if (expnt !== 0) ans *= 2 ** expnt;
  return select(ans, 1.0 - ans, cdf);
}

/**
 * Pelz-Good (1976) approximation of Pr(D_n <= x): the Li-Chien/Korolyuk expansion
 * K0 + K1/sqrt(n) + K2/n + K3/n^1.5 rewritten with Jacobi theta identities for small z = x sqrt(n).
 */
function pelzGoodCdf(n: number, x: number, cdf: boolean): number {
  if (x <= 0.0) return select(0.0, 1.0, cdf);
  if (x >= 1.0) return select(1.0, 0.0, cdf);
  const z = Math.sqrt(n) * x;
  const zsquared = z ** 2;
  const zthree = z ** 3;
  const zfour = z ** 4;
  const zsix = z ** 6;

  const qlog = -PI_SQUARED / 8 / zsquared;
  if (qlog < MIN_LOG) return select(0.0, 1.0, cdf);
  let q = Math.exp(qlog);

  const k1a = -zsquared;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * zsix + 2 * zfour;
  const k2b = ((2 * zfour - 5 * zsquared) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * zsquared)) / 16;
  const k3d = (PI_SIX * (5 - 30 * zsquared)) / 64;
  const k3c = (PI_FOUR * (-60 * zsquared + 212 * zfour)) / 16;
  const k3b = (PI_SQUARED * (135 * zfour - 96 * zsix)) / 4;
  const k3a = -30 * zsix - 90 * z ** 8;

  // Horner scheme over odd integers for sum c_i q^(i^2).
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const msquared = m ** 2;
    const mfour = m ** 4;
    const msix = m ** 6;
    const qpower = Math.pow(q, 8 * k);
    const coeffs = [
      1.0,
      k1a + k1b * msquared,
      k2a + k2b * msquared + k2c * mfour,
      k3a + k3b * msquared + k3c * mfour + k3d * msix,
    ];
    for (let i = 0; i < 4; i++) K[i] = K[i] * qpower + coeffs[i];
  }
  const divisors = [z, 6 * zfour, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i] * q * SQRT2PI) / divisors[i];

  // The remaining sums over all integers k for K2 and K3.
  q = Math.exp(-PI_SQUARED / 2 / zsquared);
  const sqrt3z = SQRT3 * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const ksquared = k ** 2;
    const kspi = Math.PI * k;
    const qpower = q ** ksquared;
    k2extra += ksquared * qpower;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksquared * qpower;
  }
  K[2] += k2extra * ((PI_SQUARED * SQRT2PI) / (-36 * zthree));
  K[3] += k3extra * ((PI_SQUARED * SQRT2PI) / (216 * zsix));
  for (let i = 0; i < 4; i++) K[i] /= Math.pow(n * 1.0, i / 2.0);
  if (!cdf) {
    for (let i = 0; i < 4; i++) K[i] *= -1;
    K[0] += 1;
  }
  return K[0] + K[1] + K[2] + K[3];
}

/**
 * CDF (or with `cdf` false the survival function) of the two-sided one-sample KS statistic D_n at x, by the method
 * Simard and L'Ecuyer choose for (n, x).
 */
export function kolmogorovDistribution(n: number, x: number, cdf = true): number {
  if (Number.isNaN(n) || Number.isNaN(x)) return NaN;
  if (!Number.isInteger(n) || n <= 0) return NaN;
  if (x >= 1.0) return select(1.0, 0.0, cdf);
  if (x <= 0.0) return select(0.0, 1.0, cdf);
  const t = n * x;
  if (t <= 1.0) {
    // Ruben-Gambino: 1/2n <= x <= 1/n
    if (t <= 0.5) return select(0.0, 1.0, cdf);
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1.0 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logNFactorialOverNPowN(n) + n * Math.log(2 * t - 1));
    }
    return select(prob, 1.0 - prob, cdf);
  }
  if (t >= n - 1) {
    // Ruben-Gambino
    const prob = 2 * (1.0 - x) ** n;
    return select(1 - prob, prob, cdf);
  }
  if (x >= 0.5) {
    // Exact: the one-sided tails cannot both be exceeded.
    const prob = 2 * smirnovSf(n, x);
    return select(1.0 - prob, prob, cdf);
  }

  const nxsquared = t * x;
  if (n <= 140) {
    if (nxsquared <= 0.754693) {
      const prob = durbinMatrixCdf(n, x, true);
      return select(prob, 1.0 - prob, cdf);
    }
    if (nxsquared <= 4) {
      const prob = pomeranzCdf(n, x, true);
      return select(prob, 1.0 - prob, cdf);
    }
    // Miller's approximation, 2 * smirnov.
    const prob = 2 * smirnovSf(n, x);
    return select(1.0 - prob, prob, cdf);
  }

  // The CDF and the survival function have different cut-offs on n x^2.
  if (!cdf) {
    if (nxsquared >= 370.0) return 0.0;
    if (nxsquared >= 2.2) return clip01(2 * smirnovSf(n, x));
  }
  let cdfProb: number;
  if (nxsquared >= 18.0) cdfProb = 1.0;
  else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdfProb = durbinMatrixCdf(n, x, true);
  else cdfProb = pelzGoodCdf(n, x, true);
  return select(cdfProb, 1.0 - cdfProb, cdf);
}

/** P(D_n >= x), the survival function of the two-sided one-sample KS statistic (scipy calls it `kstwo.sf(x, n)`). */
export const kolmogorovSf = (n: number, x: number): number => kolmogorovDistribution(n, x, false);
