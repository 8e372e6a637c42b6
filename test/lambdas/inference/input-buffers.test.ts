import { describe, expect, it } from 'vitest';
import { InputBuffers } from '../../../lambdas/inference/input-buffers';

describe('InputBuffers', () => {
  it('never hands out a buffer that is still in use, and reuses it once released', () => {
    // GIVEN two requests of one row in flight at once
    const buffers = new InputBuffers(9);
    const first = buffers.take(1);
    const second = buffers.take(1);
    // THEN they hold different memory, sized rows x width
    expect(second).not.toBe(first);
    expect(first).toHaveLength(9);
    // AND a released buffer is the next one handed out for that batch size only
    buffers.release(first);
    expect(buffers.take(2)).toHaveLength(18);
    expect(buffers.take(1)).toBe(first);
  });

  it('does not pool large batches', () => {
    const buffers = new InputBuffers(9);
    const large = buffers.take(100);
    buffers.release(large);
    expect(buffers.take(100)).not.toBe(large);
  });
});
