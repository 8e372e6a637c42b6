/**
 * Ascending sort of doubles by LSD radix sort on their bit patterns: linear in the length, which beats
 * Float64Array.prototype.sort's comparison sort on the 10^5-10^6 values a drift comparison sorts (`npm run bench`
 * times the KS comparison that sorts them).
 *
 * Read as unsigned 64-bit integers, the bit patterns of the non-negative doubles are in ascending order, and those of
 * the negative ones in ascending order of magnitude; so the values are sorted by their raw bits, then the negative
 * block (at the end) is reversed to the front. That keeps -0 before +0 and NaN after +Infinity, as the typed-array
 * sort orders them (a NaN with its sign bit set, which JSON and our parsers never produce, lands first instead).
 *
 * The raw bits are sorted high 32-bit word first, in 11-bit digits (2,048 counters stay in the L1 cache; a digit all
 * values share is skipped). For continuous data few values share a high word (20 bits of mantissa), so each run of
 * equal high words is finished by insertion sort on the low word; a longer run (narrow ranges, many ties) by the
 * built-in sort, or from RADIX_MIN_LENGTH values by the same radix passes on the low word. Values move as doubles (one load and store each); the digits are read through a
 * 32-bit view of the same buffer.
 */

/** Below this the comparison sort's constant factors win. */
const RADIX_MIN_LENGTH = 2048;
const DIGIT_BITS = 11;
const DIGIT_MASK = (1 << DIGIT_BITS) - 1;
const BUCKETS = 1 << DIGIT_BITS;
/** Three digits of 11, 11 and 10 bits cover a 32-bit word. */
const WORD_DIGITS = 3;
/**
 * Runs of equal high words up to this length are finished by insertion sort, runs from RADIX_MIN_LENGTH by radix passes
 * on the low word, and the runs between by the built-in sort (radix passes cost a histogram clear each, which many
 * mid-length runs, e.g. a value repeated 40 times in every run, would pay again and again).
 */
const INSERTION_MAX_RUN = 32;
const HIGH = 1;
const LOW = 0;

const histograms = new Uint32Array(WORD_DIGITS * BUCKETS);
/** The scatter target of the radix passes, kept between calls (a drift run sorts many columns of one size). */
let scratch = new Float64Array(0);
let scratchWords = new Uint32Array(0);
const littleEndian = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/**
 * Stable sort of values[start, end) by one 32-bit word of their bit patterns (HIGH or LOW), unsigned, in place;
 * `spare` is scatter space of the same length with its 32-bit view.
 */
function radixSortByWord(values: Float64Array, words: Uint32Array, spare: Float64Array, spareWords: Uint32Array, start: number, end: number, word: number): void {
  const n = end - start;
  histograms.fill(0);
  for (let i = 2 * start + word; i < 2 * end; i += 2) {
    const w = words[i];
    histograms[w & DIGIT_MASK]++;
    histograms[BUCKETS + ((w >>> DIGIT_BITS) & DIGIT_MASK)]++;
    histograms[2 * BUCKETS + (w >>> (2 * DIGIT_BITS))]++;
  }
  let from = values;
  let fromWords = words;
  let to = spare;
  let toWords = spareWords;
  for (let digit = 0; digit < WORD_DIGITS; digit++) {
    const shift = digit * DIGIT_BITS;
    const base = digit * BUCKETS;
    // A digit all values share leaves the order as it is.
    if (histograms[base + ((fromWords[2 * start + word] >>> shift) & DIGIT_MASK)] === n) continue;
    let offset = start;
    for (let b = base; b < base + BUCKETS; b++) {
      const count = histograms[b];
      histograms[b] = offset;
      offset += count;
    }
    for (let i = start; i < end; i++) to[histograms[base + ((fromWords[2 * i + word] >>> shift) & DIGIT_MASK)]++] = from[i];
    [from, to] = [to, from];
    [fromWords, toWords] = [toWords, fromWords];
  }
  if (from !== values) values.set(from.subarray(start, end), start);
}

/** Insertion sort of values[start, end), which share their high word, by their low word (unsigned). */
function insertionSortByLowWord(values: Float64Array, words: Uint32Array, start: number, end: number): void {
  for (let i = start + 1; i < end; i++) {
    const value = values[i];
    const low = words[2 * i];
    let j = i - 1;
    while (j >= start && words[2 * j] > low) {
      values[j + 1] = values[j];
      j--;
    }
    values[j + 1] = value;
  }
}

/**
 * values[start, end), which share their high word, in ascending order of their low word: the built-in sort by value,
 * reversed for negative values (whose bit patterns grow as the values fall).
 */
function sortRunByValue(values: Float64Array, words: Uint32Array, start: number, end: number): void {
  const run = values.subarray(start, end).sort();
  if (words[2 * start + 1] >>> 31 === 1) run.reverse();
}

/** The values sorted ascending into a new Float64Array (radix sort from RADIX_MIN_LENGTH values, else the built-in sort). */
export function sortFloat64(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  // slice() of a typed array is a block copy; Float64Array.from walks the values one by one.
  const sorted = values instanceof Float64Array ? values.slice() : Float64Array.from(values);
  if (n < RADIX_MIN_LENGTH || !littleEndian) return sorted.sort();
  if (scratch.length < n) {
    scratch = new Float64Array(n);
    scratchWords = new Uint32Array(scratch.buffer);
  }
  const words = new Uint32Array(sorted.buffer);
  radixSortByWord(sorted, words, scratch, scratchWords, 0, n, HIGH);
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i < n && words[2 * i + 1] === words[2 * start + 1]) continue;
    if (i - start >= RADIX_MIN_LENGTH) radixSortByWord(sorted, words, scratch, scratchWords, start, i, LOW);
    else if (i - start > INSERTION_MAX_RUN) sortRunByValue(sorted, words, start, i);
    else if (i - start > 1) insertionSortByLowWord(sorted, words, start, i);
    start = i;
  }
  // Raw-bit order puts the negatives last, largest magnitude last: reverse them to the front.
  let negatives = 0;
  while (negatives < n && words[2 * (n - 1 - negatives) + 1] >>> 31 === 1) negatives++;
  if (negatives > 0) {
    scratch.set(sorted.subarray(n - negatives, n));
    sorted.copyWithin(negatives, 0, n - negatives);
    for (let i = 0; i < negatives; i++) sorted[i] = scratch[negatives - 1 - i];
  }
  return sorted;
}
