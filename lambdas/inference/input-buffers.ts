/** Requests of at most this many rows get a pooled input buffer; larger ones allocate (their cost dwarfs it). */
const MAX_POOLED_ROWS = 16;
/** Free buffers kept per batch size, so a burst of concurrent requests does not pin memory afterwards. */
const MAX_FREE_PER_SIZE = 32;

/**
 * Reusable model input buffers for small batches. A fresh small Float32Array lives on the V8 heap and is copied
 * out when onnxruntime's binding first takes its backing store, which costs as much as a row of validation; a
 * reused buffer is already off-heap. onnxruntime reads the input on a later tick (setImmediate), so a buffer
 * is only handed out again after `release`, when the run that used it has finished — concurrent requests on
 * the container server each get their own.
 */
export class InputBuffers {
  /** free[rows]: buffers of exactly rows * width values. */
  private readonly free: Float32Array[][] = Array.from({ length: MAX_POOLED_ROWS + 1 }, () => []);

  constructor(private readonly width: number) {}

  take(rows: number): Float32Array {
    return (rows <= MAX_POOLED_ROWS ? this.free[rows].pop() : undefined) ?? new Float32Array(rows * this.width);
  }

  /** Returns a buffer from `take` once nothing reads it any more; its contents are overwritten by the next taker. */
  release(buffer: Float32Array): void {
    const rows = buffer.length / this.width;
    if (rows <= MAX_POOLED_ROWS && this.free[rows].length < MAX_FREE_PER_SIZE) this.free[rows].push(buffer);
  }
}
