import { FirehoseClient, PutRecordBatchCommand, type _Record } from '@aws-sdk/client-firehose';

/** Outcome of a delivery, in capture lines (one line per captured row). */
export interface DeliveryResult {
  delivered: number;
  failed: number;
}

/** Where captured lines go. */
export interface CaptureSink {
  put(lines: readonly string[], signal?: AbortSignal): Promise<DeliveryResult>;
  /** Resolves once the sink can deliver (a deferred sink has loaded its client). @default - always ready */
  ready?(): Promise<void>;
}

/** Firehose limits: 500 records and 4 MiB per PutRecordBatch, 1,000 KiB per record. */
const MAX_RECORDS_PER_CALL = 500;
const MAX_BYTES_PER_CALL = 4 * 1024 * 1024;
const MAX_RECORD_BYTES = 1000 * 1024;

/** A packed Firehose record and the number of capture lines in it. */
interface Packed {
  data: Buffer;
  lines: number;
}

/**
 * Delivers JSON lines to a Firehose delivery stream that writes them to S3. Lines are packed into as few Firehose
 * records as fit (each line ends with a newline, so the S3 objects stay JSON lines): Firehose bills ingestion per
 * record rounded up to 5 KB, and one capture line is far smaller. Records Firehose reports as failed
 * (FailedPutCount) are retried once; what fails again is counted, not thrown. A line too large for a record is
 * dropped and counted as failed.
 */
export class FirehoseCaptureSink implements CaptureSink {
  constructor(
    private readonly client: FirehoseClient,
    private readonly deliveryStreamName: string,
  ) {}

  async put(lines: readonly string[], signal?: AbortSignal): Promise<DeliveryResult> {
    const { records, oversized } = pack(lines);
    const result: DeliveryResult = { delivered: 0, failed: oversized };
    for (const batch of batches(records)) {
      try {
        const failed = await this.send(batch, signal);
        const retried = failed.length ? await this.send(failed, signal) : [];
        const lost = count(retried);
        result.failed += lost;
        result.delivered += count(batch) - lost;
      } catch {
        // Throttling that outlasted the SDK's retries, a network error or the time budget: count and move on.
        result.failed += count(batch);
      }
    }
    return result;
  }

  /** Sends one batch; returns the records Firehose did not accept. */
  private async send(batch: Packed[], signal?: AbortSignal): Promise<Packed[]> {
    const response = await this.client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: this.deliveryStreamName,
        Records: batch.map((record): _Record => ({ Data: record.data })),
      }),
      { abortSignal: signal },
    );
    if (!response.FailedPutCount) return [];
    return batch.filter((_, i) => response.RequestResponses?.[i]?.ErrorCode !== undefined);
  }
}

/** The sink of a delivery stream, with a client of its own (imported on the first delivery: traffic-capture.ts). */
export const firehoseCaptureSink = (deliveryStreamName: string): CaptureSink => new FirehoseCaptureSink(new FirehoseClient({}), deliveryStreamName);

function pack(lines: readonly string[]): { records: Packed[]; oversized: number } {
  const records: Packed[] = [];
  let oversized = 0;
  let current: Buffer[] = [];
  let currentBytes = 0;
  const close = () => {
    if (current.length) records.push({ data: Buffer.concat(current, currentBytes), lines: current.length });
    current = [];
    currentBytes = 0;
  };
  for (const line of lines) {
    const bytes = Buffer.from(line.endsWith('\n') ? line : `${line}\n`, 'utf8');
    if (bytes.length > MAX_RECORD_BYTES) {
      oversized++;
      continue;
    }
    if (currentBytes + bytes.length > MAX_RECORD_BYTES) close();
    current.push(bytes);
    currentBytes += bytes.length;
  }
  close();
  return { records, oversized };
}

function* batches(records: Packed[]): Generator<Packed[]> {
  let batch: Packed[] = [];
  let bytes = 0;
  for (const record of records) {
    if (batch.length === MAX_RECORDS_PER_CALL || bytes + record.data.length > MAX_BYTES_PER_CALL) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(record);
    bytes += record.data.length;
  }
  if (batch.length) yield batch;
}

const count = (records: Packed[]) => records.reduce((sum, record) => sum + record.lines, 0);
