import { type AttributeValue, type DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import type { Timeline } from '../../timeline';
import { matchesPattern, type EventPattern } from '../events/event-pattern';
import type { LambdaService } from '../lambda/lambda-service';
import type { TableDefinition } from './dynamodb-service';

type Item = Record<string, AttributeValue>;

interface StreamRecord {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventVersion: '1.1';
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  eventSourceARN: string;
  dynamodb: {
    ApproximateCreationDateTime: number;
    Keys: Item;
    NewImage?: Item;
    OldImage?: Item;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: string;
  };
}

/** One table's emulated stream: the changes seen by polling, in the order they were seen. */
class TableStream {
  readonly records: StreamRecord[] = [];
  private snapshot?: Map<string, string>;
  private sequence = 0;

  constructor(
    readonly table: TableDefinition,
    private readonly region: string,
  ) {}

  /** Scans the table and appends a record for each item inserted, modified or removed since the previous poll. */
  async poll(client: DynamoDBClient): Promise<void> {
    const current = new Map<string, string>();
    for await (const page of paginateScan({ client }, { TableName: this.table.name, ConsistentRead: true })) {
      for (const item of page.Items ?? []) current.set(this.keyOf(item), JSON.stringify(item));
    }
    const previous = this.snapshot;
    this.snapshot = current;
    // The first poll is the starting position: the stream holds changes made after the twin started.
    if (!previous) return;
    const changes: Array<[string, string | undefined, string | undefined]> = [];
    for (const [key, image] of current) if (previous.get(key) !== image) changes.push([key, previous.get(key), image]);
    for (const [key, image] of previous) if (!current.has(key)) changes.push([key, image, undefined]);
    changes.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [, before, after] of changes) this.append(before ? JSON.parse(before) : undefined, after ? JSON.parse(after) : undefined);
  }

  private append(oldImage: Item | undefined, newImage: Item | undefined): void {
    const view = this.table.streamViewType ?? 'NEW_AND_OLD_IMAGES';
    const image = (newImage ?? oldImage) as Item;
    const keys = Object.fromEntries(this.table.keyAttributes.map((a) => [a, image[a]]));
    this.sequence++;
    const sequenceNumber = String(this.sequence).padStart(21, '0');
    this.records.push({
      eventID: `${Date.now().toString(16)}${this.sequence}`,
      eventName: !oldImage ? 'INSERT' : !newImage ? 'REMOVE' : 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.region,
      eventSourceARN: this.table.streamArn ?? '',
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: keys,
        ...(newImage && (view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES') && { NewImage: newImage }),
        ...(oldImage && (view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES') && { OldImage: oldImage }),
        SequenceNumber: sequenceNumber,
        SizeBytes: JSON.stringify(image).length,
        StreamViewType: view,
      },
    });
  }

  private keyOf(item: Item): string {
    return this.table.keyAttributes.map((a) => JSON.stringify(item[a])).join('|');
  }
}

interface Mapping {
  /** `<stack>/<logicalId>` of its AWS::Lambda::EventSourceMapping. */
  readonly key: string;
  readonly functionName: string;
  readonly stream: TableStream;
  readonly batchSize: number;
  readonly filters: EventPattern[];
  readonly reportItemFailures: boolean;
  readonly maximumRetryAttempts: number;
  /** LATEST or TRIM_HORIZON: where a mapping added by a stack update starts reading a stream that already has records. */
  readonly startingPosition: string;
  cursor: number;
  attempts: number;
}

const POLL_MS = 200;

/**
 * DynamoDB Streams and their AWS::Lambda::EventSourceMapping, emulated by polling: each poll diffs a consistent scan
 * against the previous one and appends INSERT / MODIFY / REMOVE records (images per the table's StreamViewType).
 * Changes made to the same item between two polls collapse into one record, and records of one poll are ordered by
 * key rather than by write time (audit rows, keyed by time, come out in order). Mappings deliver batches of up to
 * BatchSize records that pass FilterCriteria, retry a failed batch (MaximumRetryAttempts, -1 = until it succeeds),
 * and with ReportBatchItemFailures resume from the first failed record.
 */
export class TableStreams {
  private readonly streams = new Map<string, TableStream>();
  private readonly mappings: Mapping[] = [];
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    app: SynthesizedApp,
    tables: TableDefinition[],
    private readonly client: DynamoDBClient,
    private readonly lambda: LambdaService,
    private readonly timeline: Timeline,
  ) {
    this.load(app, tables);
  }

  /**
   * A stack update: streams and mappings read again. A table that stays keeps its stream (its records and polling
   * position), and a mapping that stays keeps its place in it, so no change is delivered twice or skipped.
   */
  reconcile(app: SynthesizedApp, tables: TableDefinition[]): void {
    const streams = new Map(this.streams);
    const mappings = new Map(this.mappings.map((m) => [m.key, m]));
    this.streams.clear();
    this.mappings.length = 0;
    this.load(app, tables, streams);
    for (const mapping of this.mappings) {
      const previous = mappings.get(mapping.key);
      if (previous?.stream === mapping.stream) {
        mapping.cursor = previous.cursor;
        mapping.attempts = previous.attempts;
      } else if (mapping.startingPosition === 'LATEST') {
        mapping.cursor = mapping.stream.records.length;
      }
    }
  }

  private load(app: SynthesizedApp, tables: TableDefinition[], existing = new Map<string, TableStream>()): void {
    for (const table of tables) {
      if (table.streamArn) this.streams.set(table.streamArn, existing.get(table.streamArn) ?? new TableStream(table, app.env.region));
    }
    for (const { stack, logicalId } of app.resourcesOfType('AWS::Lambda::EventSourceMapping')) {
      const props = stack.properties(logicalId);
      const stream = this.streams.get(String(props.EventSourceArn));
      if (!stream || props.Enabled === false) continue;
      const filters = ((props.FilterCriteria as { Filters?: Array<{ Pattern: string }> })?.Filters ?? []).map(
        (f) => JSON.parse(f.Pattern) as EventPattern,
      );
      this.mappings.push({
        key: `${stack.stackName}/${logicalId}`,
        functionName: String(props.FunctionName),
        stream,
        batchSize: Number(props.BatchSize ?? 100),
        filters,
        reportItemFailures: ((props.FunctionResponseTypes as string[]) ?? []).includes('ReportBatchItemFailures'),
        maximumRetryAttempts: Number(props.MaximumRetryAttempts ?? -1),
        startingPosition: String(props.StartingPosition ?? 'TRIM_HORIZON'),
        cursor: 0,
        attempts: 0,
      });
    }
  }

  async start(): Promise<void> {
    await this.pollOnce();
    this.timer = setInterval(() => void this.pollOnce(), POLL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Polls every stream once and delivers what the mappings have not yet delivered. */
  async pollOnce(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const stream of this.streams.values()) await stream.poll(this.client);
      await Promise.all(this.mappings.map((m) => this.deliver(m)));
    } catch (err) {
      this.timeline.add('error', `table stream polling failed: ${(err as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  private async deliver(mapping: Mapping): Promise<void> {
    while (mapping.cursor < mapping.stream.records.length) {
      const batch: StreamRecord[] = [];
      let end = mapping.cursor;
      while (end < mapping.stream.records.length && batch.length < mapping.batchSize) {
        const record = mapping.stream.records[end++];
        if (!mapping.filters.length || mapping.filters.some((f) => matchesPattern(f, record))) batch.push(record);
      }
      if (!batch.length) {
        mapping.cursor = end;
        continue;
      }
      const { outcome } = await this.lambda.invoke(mapping.functionName, { Records: batch });
      const failures = outcome.ok && mapping.reportItemFailures ? failedSequenceNumbers(outcome.payload) : [];
      if (outcome.ok && !failures.length) {
        mapping.cursor = end;
        mapping.attempts = 0;
        continue;
      }
      mapping.attempts++;
      const reason = outcome.ok ? `${failures.length} item failure(s) reported` : `${outcome.payload.errorType}: ${outcome.payload.errorMessage}`;
      if (mapping.maximumRetryAttempts >= 0 && mapping.attempts > mapping.maximumRetryAttempts) {
        this.timeline.add('error', `stream batch to ${mapping.functionName} discarded after ${mapping.attempts} attempts: ${reason}`);
        mapping.cursor = end;
        mapping.attempts = 0;
        continue;
      }
      this.timeline.add('warning', `stream batch to ${mapping.functionName} failed (attempt ${mapping.attempts}), will retry: ${reason}`);
      if (failures.length) {
        const first = mapping.stream.records.findIndex((r) => r.dynamodb.SequenceNumber === failures[0]);
        if (first >= mapping.cursor) mapping.cursor = first;
      }
      return; // retried on a later poll, like Lambda's backoff
    }
  }
}

function failedSequenceNumbers(payload: unknown): string[] {
  const failures = (payload as { batchItemFailures?: Array<{ itemIdentifier?: string }> } | null)?.batchItemFailures ?? [];
  return failures.map((f) => String(f.itemIdentifier)).sort();
}
