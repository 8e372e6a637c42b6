/**
 * Ascending sort of doubles by LSD radix sort on their bit patterns (four 16-bit digits): linear in the length, which
 * beats Float64Array.prototype.sort's comparison sort on the 10^5-10^6 values a drift comparison sorts (`npm run bench`
 * times the KS comparison that sorts them). Each double
 * is mapped to an unsigned 64-bit key with the same order (flip all bits of negatives, the sign bit of
 * the rest), so -0 sorts before +0 and NaN after +Infinity, as the typed-array sort orders them.
 */

/** Below this the comparison sort's constant factors win. */
const RADIX_MIN_LENGTH = 2048;
const DIGITS = 4;
const BUCKETS = 1 << 16;
/** The scatter target of the radix passes, kept between calls (a drift run sorts many columns of one size). */
let scratch = new Uint32Array(0);
const littleEndian = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** The values sorted ascending into a new Float64Array (radix sort from RADIX_MIN_LENGTH values, else the built-in sort). */
export function sortFloat64(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  // slice() of a typed array is a block copy; Float64Array.from walks the values one by one.
  const sorted = values instanceof Float64Array ? values.slice() : Float64Array.from(values);
  if (n < RADIX_MIN_LENGTH || !littleEndian) return sorted.sort();
  let keys: Uint32Array = new Uint32Array(sorted.buffer); // [low word, high word] per double
  if (scratch.length < 2 * n) scratch = new Uint32Array(2 * n);
  let spare: Uint32Array = scratch.subarray(0, 2 * n);
  for (let i = 0; i < 2 * n; i += 2) {
    const negative = keys[i + 1] >>> 31 === 1;
    keys[i] = negative ? ~keys[i] : keys[i];
    keys[i + 1] = negative ? ~keys[i + 1] : keys[i + 1] ^ 0x80000000;
  }
  // All four histograms in one read of the keys.
  const counts = new Uint32Array(DIGITS * BUCKETS);
  for (let i = 0; i < 2 * n; i += 2) {
    const low = keys[i];
    const high = keys[i + 1];
    counts[low & 0xffff]++;
    counts[BUCKETS + (low >>> 16)]++;
    counts[2 * BUCKETS + (high & 0xffff)]++;
    counts[3 * BUCKETS + (high >>> 16)]++;
  }
  for (let digit = 0; digit < DIGITS; digit++) {
    const word = digit >> 1; // 0: low word, 1: high word
    const shift = (digit & 1) * 16;
    const base = digit * BUCKETS;
    // A digit all keys share leaves the order as it is.
    if (counts[base + ((keys[word] >>> shift) & 0xffff)] === n) continue;
    let offset = 0;
    for (let b = base; b < base + BUCKETS; b++) {
      const c = counts[b];
      counts[b] = offset;
      offset += c;
    }
    for (let i = 0; i < 2 * n; i += 2) {
      const to = 2 * counts[base + ((keys[i + word] >>> shift) & 0xffff)]++;
      spare[to] = keys[i];
      spare[to + 1] = keys[i + 1];
    }
    [keys, spare] = [spare, keys];
  }
  // Back to doubles, into `sorted` whichever buffer the last pass wrote (scratch is shared between calls).
  const out = new Uint32Array(sorted.buffer);
  for (let i = 0; i < 2 * n; i += 2) {
    const negative = keys[i + 1] >>> 31 === 0;
    out[i] = negative ? ~keys[i] : keys[i];
    out[i + 1] = negative ? ~keys[i + 1] : keys[i + 1] ^ 0x80000000;
  }
  return sorted;
}
