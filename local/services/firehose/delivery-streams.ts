import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import type { Clock } from '../../clock';
import type { Timeline } from '../../timeline';
import { AwsServiceError } from '../../http/twin-server';
import { LOCAL_CREDENTIALS } from '../aws-environment';

interface StreamConfig {
  readonly name: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly intervalSeconds: number;
  readonly sizeBytes: number;
  readonly gzip: boolean;
}

interface Buffer_ {
  chunks: Buffer[];
  bytes: number;
  timer?: NodeJS.Timeout;
}

/**
 * AWS::KinesisFirehose::DeliveryStream with an (Extended)S3 destination: PutRecord/PutRecordBatch buffer records and
 * write them to S3 as one object when BufferingHints' size is reached or its interval (on the twin's clock) has passed
 * since the first buffered record. Keys follow Firehose: `<Prefix><YYYY/MM/DD/HH/><stream>-1-<YYYY-MM-DD-HH-MM-SS>-<id>`
 * in UTC of the write, where the date part is replaced by the prefix's own `!{timestamp:...}` expressions if it has any;
 * `.gz` and GZIP when CompressionFormat is GZIP. Processors and dynamic partitioning are not emulated.
 */
export class DeliveryStreams {
  private readonly streams = new Map<string, StreamConfig>();
  private readonly buffers = new Map<string, Buffer_>();
  private readonly s3: S3Client;
  /** Objects written, newest last, for tests and the console. */
  readonly written: Array<{ stream: string; key: string; records: number }> = [];

  constructor(
    app: SynthesizedApp,
    s3Endpoint: string,
    private readonly clock: Clock,
    private readonly timeline: Timeline,
  ) {
    this.s3 = new S3Client({ region: app.env.region, endpoint: s3Endpoint, forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
    this.load(app);
  }

  /**
   * A stack update: streams read again from the new templates. Records buffered for a stream that goes away are
   * written first; a changed stream's buffer is written with the settings it was accepted under.
   */
  async reconcile(app: SynthesizedApp): Promise<void> {
    const previous = new Map(this.streams);
    this.streams.clear();
    this.load(app);
    await Promise.all([...previous.values()].filter((s) => !this.streams.has(s.name)).map((s) => this.flush(s)));
  }

  private load(app: SynthesizedApp): void {
    for (const { stack, logicalId } of app.resourcesOfType('AWS::KinesisFirehose::DeliveryStream')) {
      const props = stack.properties(logicalId);
      const destination = (props.ExtendedS3DestinationConfiguration ?? props.S3DestinationConfiguration) as Record<string, unknown> | undefined;
      if (!destination) continue;
      const hints = (destination.BufferingHints as { IntervalInSeconds?: number; SizeInMBs?: number }) ?? {};
      const name = stack.ref(logicalId);
      this.streams.set(name, {
        name,
        bucket: String(destination.BucketARN).replace(/^arn:[^:]+:s3:::/, ''),
        prefix: String(destination.Prefix ?? ''),
        intervalSeconds: hints.IntervalInSeconds ?? 300,
        sizeBytes: (hints.SizeInMBs ?? 5) * 1024 * 1024,
        gzip: destination.CompressionFormat === 'GZIP',
      });
    }
  }

  operations() {
    const recordsOf = (records: unknown) => {
      if (!Array.isArray(records)) throw new AwsServiceError('InvalidArgumentException', 'Records must be a list');
      return records.map((r) => Buffer.from(String((r as { Data?: string }).Data ?? ''), 'base64'));
    };
    return {
      PutRecord: async (input: Record<string, unknown>) => {
        const [id] = this.put(String(input.DeliveryStreamName), recordsOf([input.Record]));
        return { RecordId: id, Encrypted: false };
      },
      PutRecordBatch: async (input: Record<string, unknown>) => {
        const records = recordsOf(input.Records);
        if (records.length > 500) throw new AwsServiceError('InvalidArgumentException', 'at most 500 records per batch');
        const ids = this.put(String(input.DeliveryStreamName), records);
        return { FailedPutCount: 0, Encrypted: false, RequestResponses: ids.map((RecordId) => ({ RecordId })) };
      },
    };
  }

  put(streamName: string, records: Buffer[]): string[] {
    const stream = this.streams.get(streamName);
    if (!stream) throw new AwsServiceError('ResourceNotFoundException', `Firehose ${streamName} not found under account.`);
    let buffer = this.buffers.get(streamName);
    if (!buffer) this.buffers.set(streamName, (buffer = { chunks: [], bytes: 0 }));
    for (const record of records) {
      buffer.chunks.push(record);
      buffer.bytes += record.length;
    }
    if (buffer.bytes >= stream.sizeBytes) void this.flush(stream);
    else if (!buffer.timer) buffer.timer = this.clock.after(stream.intervalSeconds * 1000, () => void this.flush(stream));
    return records.map(() => randomUUID().replace(/-/g, ''));
  }

  /** Writes every buffered record now (used on shutdown so nothing accepted is lost). */
  async flushAll(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => this.flush(s)));
  }

  stop(): void {
    for (const buffer of this.buffers.values()) if (buffer.timer) this.clock.cancel(buffer.timer);
    this.s3.destroy();
  }

  private async flush(stream: StreamConfig): Promise<void> {
    const buffer = this.buffers.get(stream.name);
    if (!buffer || !buffer.chunks.length) return;
    if (buffer.timer) this.clock.cancel(buffer.timer);
    this.buffers.delete(stream.name);
    const now = new Date();
    const body = Buffer.concat(buffer.chunks);
    const key = `${objectPrefix(stream.prefix, now)}${stream.name}-1-${stamp(now, '-')}-${randomUUID()}${stream.gzip ? '.gz' : ''}`;
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: stream.bucket, Key: key, Body: stream.gzip ? gzipSync(body) : body }));
      // Deliveries are routine (the timeline would fill with them); failures go to the timeline.
      this.written.push({ stream: stream.name, key, records: buffer.chunks.length });
    } catch (err) {
      this.timeline.add('error', `${stream.name}: delivery to s3://${stream.bucket} failed: ${(err as Error).message}`);
    }
  }
}

const pad = (n: number) => String(n).padStart(2, '0');

function stamp(d: Date, separator: string): string {
  return [d.getUTCFullYear(), pad(d.getUTCMonth() + 1), pad(d.getUTCDate()), pad(d.getUTCHours()), pad(d.getUTCMinutes()), pad(d.getUTCSeconds())].join(separator);
}

/** The prefix with `!{timestamp:<Java date pattern>}` expanded, or with Firehose's default `YYYY/MM/DD/HH/` appended. */
function objectPrefix(prefix: string, now: Date): string {
  if (!prefix.includes('!{timestamp:')) {
    return `${prefix}${now.getUTCFullYear()}/${pad(now.getUTCMonth() + 1)}/${pad(now.getUTCDate())}/${pad(now.getUTCHours())}/`;
  }
  return prefix.replace(/!\{timestamp:([^}]+)\}/g, (_m, pattern: string) =>
    pattern
      .replace(/yyyy/g, String(now.getUTCFullYear()))
      .replace(/MM/g, pad(now.getUTCMonth() + 1))
      .replace(/dd/g, pad(now.getUTCDate()))
      .replace(/HH/g, pad(now.getUTCHours()))
      .replace(/mm/g, pad(now.getUTCMinutes()))
      .replace(/ss/g, pad(now.getUTCSeconds())),
  );
}
