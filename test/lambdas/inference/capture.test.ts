import { FirehoseClient } from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FirehoseCaptureSink } from '../../../lambdas/inference/capture-sink';
import { TrafficCapture } from '../../../lambdas/inference/traffic-capture';
import type { CaptureRecord } from '../../../contracts/capture-record';
import { LOCAL_AWS } from '../../helpers/dynalite';
import { type FirehoseDouble, startFirehoseDouble } from './firehose-double';

let firehose: FirehoseDouble;
let sink: FirehoseCaptureSink;
beforeAll(async () => {
  firehose = await startFirehoseDouble();
  sink = new FirehoseCaptureSink(new FirehoseClient({ ...LOCAL_AWS, endpoint: firehose.endpoint, maxAttempts: 1 }), 'capture-card-fraud');
});
afterAll(async () => firehose.stop());
beforeEach(() => {
  firehose.calls.length = 0;
  firehose.rejectRecord = undefined;
});

const record = (i: number, width = 9): CaptureRecord => ({
  model: 'card-fraud',
  modelVersion: 3,
  at: '2026-01-01T00:00:00.000Z',
  requestId: `r${i}`,
  features: Array.from({ length: width }, (_, c) => i + c),
  prediction: 0.5,
  label: 1,
});

describe('capture to Firehose', () => {
  it('buffers sampled rows and delivers 2,000 of them in one PutRecordBatch call, as JSON lines', async () => {
    const capture = new TrafficCapture(sink, { samplePercent: 100 });
    for (let i = 0; i < 2000; i++) capture.add(record(i));
    const result = await capture.flush();
    expect(result).toEqual({ delivered: 2000, failed: 0, dropped: 0 });
    expect(firehose.calls).toHaveLength(1);
    expect(firehose.lines().map((line) => JSON.parse(line))).toEqual(Array.from({ length: 2000 }, (_, i) => record(i)));
  });

  it('splits into calls of at most 4 MiB and records of at most 1,000 KiB', async () => {
    const capture = new TrafficCapture(sink, { samplePercent: 100 });
    // ~10 KB lines: 1,000 of them are ~10 MB, so at least 3 calls.
    for (let i = 0; i < 1000; i++) capture.add(record(i, 2400));
    expect(await capture.flush()).toEqual({ delivered: 1000, failed: 0, dropped: 0 });
    expect(firehose.calls.length).toBeGreaterThanOrEqual(3);
    for (const call of firehose.calls) {
      expect(call.records.reduce((n, r) => n + Buffer.byteLength(r), 0)).toBeLessThanOrEqual(4 * 1024 * 1024);
      for (const r of call.records) expect(Buffer.byteLength(r)).toBeLessThanOrEqual(1000 * 1024);
    }
    expect(firehose.lines()).toHaveLength(1000);
  });

  it('retries the records Firehose rejected once', async () => {
    // GIVEN a throttled first attempt of the first record
    firehose.rejectRecord = (index) => index === 0;
    const capture = new TrafficCapture(sink, { samplePercent: 100 });
    for (let i = 0; i < 3; i++) capture.add(record(i));
    expect(await capture.flush()).toEqual({ delivered: 3, failed: 0, dropped: 0 });
    expect(firehose.calls).toHaveLength(2);
  });

  it('counts records rejected twice as failed instead of throwing', async () => {
    firehose.rejectRecord = () => true;
    const capture = new TrafficCapture(sink, { samplePercent: 100 });
    for (let i = 0; i < 5; i++) capture.add(record(i));
    expect(await capture.flush()).toEqual({ delivered: 0, failed: 5, dropped: 0 });
  });

  it('counts lines as failed when Firehose cannot be reached', async () => {
    const unreachable = new FirehoseCaptureSink(new FirehoseClient({ ...LOCAL_AWS, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }), 's');
    const capture = new TrafficCapture(unreachable, { samplePercent: 100 });
    capture.add(record(1));
    expect(await capture.flush()).toEqual({ delivered: 0, failed: 1, dropped: 0 });
  });

  it('drops and counts lines beyond the buffer bound', async () => {
    const capture = new TrafficCapture(sink, { samplePercent: 100, maxBufferedLines: 2 });
    for (let i = 0; i < 5; i++) capture.add(record(i));
    expect(await capture.flush()).toEqual({ delivered: 2, failed: 0, dropped: 3 });
  });

  it('samples the configured share of requests with the injected random source', () => {
    const values = [0.05, 0.5, 0.09, 0.1, 0.99];
    const capture = new TrafficCapture(sink, { samplePercent: 10, random: () => values.shift() ?? 1 });
    expect([1, 2, 3, 4, 5].map(() => capture.sample())).toEqual([true, false, true, false, false]);
    expect(new TrafficCapture(sink, { samplePercent: 0, random: () => 0 }).sample()).toBe(false);
  });
});
