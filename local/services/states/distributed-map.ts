import { randomUUID } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { queryPath } from '../json-path';
import { applyTemplate, type Template } from './payload-template';
import { TaskError } from './task-error';
import type { MapRunCounts } from '../../../contracts/twin-api';

/**
 * Step Functions' Distributed Map, which aws-local-stepfunctions does not run (it runs inline Maps only): the twin
 * turns each DISTRIBUTED Map state into a Task of its own (see StateMachines.prepare) that reads the items (an S3
 * listing, or a JSON, JSON Lines or CSV object, or ItemsPath of the input), selects and batches them, runs the item
 * processor once per batch or item as a child run at most MaxConcurrency at a time, applies the tolerated failure
 * threshold and writes the results to S3 as ResultWriter asks — with the payloads and error names Step Functions uses.
 */

/** The S3 operations a Distributed Map performs: list a prefix, read an object, write one. */
export interface MapObjectStore {
  list(bucket: string, prefix: string): Promise<Array<{ Key: string; Size: number; Etag: string; LastModified: string; StorageClass: string }>>;
  get(bucket: string, key: string): Promise<Buffer>;
  put(bucket: string, key: string, body: string): Promise<void>;
}

/** Runs the item processor on one input; resolves with its output or rejects with its error (name = Error). */
export type ChildRunner = (input: unknown, child: { index: number; name: string }) => { result: Promise<unknown>; abort(): void };

/** A map run as DescribeMapRun reports it; the twin updates it in place as children finish. */
export interface MapRun {
  readonly mapRunArn: string;
  readonly executionArn: string;
  readonly stateName: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly startDate: Date;
  stopDate?: Date;
  readonly maxConcurrency: number;
  readonly toleratedFailurePercentage: number;
  readonly toleratedFailureCount: number;
  /** Child runs (one per batch, or per item without ItemBatcher). */
  readonly executionCounts: MapRunCounts;
  /** Items read; a batch's items share its child's outcome. */
  readonly itemCounts: MapRunCounts;
  error?: string;
}

const S3_GET_OBJECT = /^arn:aws[a-z-]*:states:::s3:getObject$/;
const S3_LIST_OBJECTS = /^arn:aws[a-z-]*:states:::s3:listObjectsV2$/;
const S3_PUT_OBJECT = /^arn:aws[a-z-]*:states:::s3:putObject$/;
/** Step Functions' limit on a state's or an execution's input: 256 KiB. */
const MAX_PAYLOAD_BYTES = 256 * 1024;

const templateSchema = z.record(z.string(), z.unknown());
const itemReaderSchema = z.object({
  Resource: z.string().refine((r) => S3_GET_OBJECT.test(r) || S3_LIST_OBJECTS.test(r), {
    message: 'the twin reads items with s3:getObject or s3:listObjectsV2 only',
  }),
  ReaderConfig: z
    .object({
      InputType: z.enum(['JSON', 'JSONL', 'CSV']).optional(),
      CSVHeaderLocation: z.enum(['FIRST_ROW', 'GIVEN']).optional(),
      CSVHeaders: z.array(z.string()).optional(),
      CSVDelimiter: z.enum(['COMMA', 'PIPE', 'SEMICOLON', 'SPACE', 'TAB']).optional(),
      MaxItems: z.number().int().min(0).optional(),
      MaxItemsPath: z.string().optional(),
    })
    .optional(),
  Parameters: templateSchema,
});

/** The fields of a DISTRIBUTED Map state that the twin's map run takes over from the interpreter. */
export const distributedMapSchema = z.object({
  ItemProcessor: z.object({ StartAt: z.string(), States: z.record(z.string(), z.unknown()) }).passthrough(),
  ItemReader: itemReaderSchema.optional(),
  ItemsPath: z.string().optional(),
  ItemSelector: templateSchema.optional(),
  /** The legacy name of ItemSelector. */
  Parameters: templateSchema.optional(),
  ItemBatcher: z
    .object({
      MaxItemsPerBatch: z.number().int().min(1).optional(),
      MaxItemsPerBatchPath: z.string().optional(),
      // Step Functions allows at most 256 KiB, its limit on an execution's input.
      MaxInputBytesPerBatch: z.number().int().min(1).max(MAX_PAYLOAD_BYTES).optional(),
      MaxInputBytesPerBatchPath: z.string().optional(),
      BatchInput: templateSchema.optional(),
    })
    .optional(),
  MaxConcurrency: z.number().int().min(0).optional(),
  MaxConcurrencyPath: z.string().optional(),
  ToleratedFailurePercentage: z.number().min(0).max(100).optional(),
  ToleratedFailurePercentagePath: z.string().optional(),
  ToleratedFailureCount: z.number().int().min(0).optional(),
  ToleratedFailureCountPath: z.string().optional(),
  Label: z.string().max(40).optional(),
  ResultWriter: z
    .object({
      Resource: z.string().regex(S3_PUT_OBJECT, 'the twin writes results with s3:putObject only').optional(),
      Parameters: templateSchema.optional(),
      WriterConfig: z
        .object({ OutputType: z.enum(['JSON', 'JSONL']).optional(), Transformation: z.enum(['NONE', 'COMPACT', 'FLATTEN']).optional() })
        .optional(),
    })
    .optional(),
});
export type DistributedMapSpec = z.infer<typeof distributedMapSchema>;

/** Keys of a Map state that belong to the map run; the others (InputPath, ResultPath, Retry, Catch, Next...) stay. */
export const MAP_RUN_FIELDS = Object.keys(distributedMapSchema.shape);

/**
 * The interpreter runs children with no concurrency limit of its own; Step Functions runs up to 10,000 at once when
 * MaxConcurrency is 0 or absent. On one machine that many processes would only queue, so the twin caps it here.
 */
export const TWIN_MAX_CONCURRENCY = 40;
/** Step Functions writes result files of at most this many child results each (SUCCEEDED_0.json, ...). */
const RESULTS_PER_FILE = 1000;
const DELIMITERS = { COMMA: ',', PIPE: '|', SEMICOLON: ';', SPACE: ' ', TAB: '\t' } as const;

export function parseDistributedMap(stateName: string, state: Record<string, unknown>): DistributedMapSpec {
  const parsed = distributedMapSchema.safeParse(state);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(state)'}: ${i.message}`).join('; ');
    throw new Error(`Distributed Map state "${stateName}": ${problems}`);
  }
  if (parsed.data.ItemReader && parsed.data.ItemsPath) throw new Error(`Distributed Map state "${stateName}": ItemReader and ItemsPath cannot be used together`);
  return parsed.data;
}

export interface MapRunContext {
  readonly stateName: string;
  readonly executionArn: string;
  /** The execution's context object ($$), for `$$.` paths in the map's templates. */
  readonly context: Record<string, unknown>;
  readonly store: MapObjectStore;
  readonly runChild: ChildRunner;
  /** Called once when the run starts with the record it then updates, and again after each change. */
  readonly onChange: (mapRun: MapRun) => void;
  /** Aborted when the execution stops: children under way are stopped and the map run ends. */
  readonly signal: AbortSignal;
}

/** One map run: the Task output Step Functions gives (the results, or ResultWriterDetails when written to S3). */
export async function runDistributedMap(spec: DistributedMapSpec, input: unknown, run: MapRunContext): Promise<unknown> {
  const mapRunId = randomUUID();
  const items = await readItems(spec, input, run);
  const selected = items.map((item, index) => selectItem(spec, item, index, input, run.context));
  const { inputs: childInputs, oversized } = batch(spec, selected, input, run.context);
  const toleratedCount = numberAt(spec.ToleratedFailureCount, spec.ToleratedFailureCountPath, input);
  const toleratedPercent = numberAt(spec.ToleratedFailurePercentage, spec.ToleratedFailurePercentagePath, input);
  const mapRun: MapRun = {
    mapRunArn: `${run.executionArn.replace(':execution:', ':mapRun:')}/${spec.Label ?? run.stateName}:${mapRunId}`,
    executionArn: run.executionArn,
    stateName: run.stateName,
    status: 'RUNNING',
    startDate: new Date(),
    maxConcurrency: Math.min(numberAt(spec.MaxConcurrency, spec.MaxConcurrencyPath, input) || TWIN_MAX_CONCURRENCY, TWIN_MAX_CONCURRENCY),
    toleratedFailurePercentage: toleratedPercent ?? 0,
    toleratedFailureCount: toleratedCount ?? 0,
    executionCounts: counts(childInputs.length),
    itemCounts: counts(items.length),
  };
  run.onChange(mapRun);
  const end = (status: MapRun['status'], error?: string) => {
    Object.assign(mapRun, { status, error, stopDate: new Date() });
    run.onChange(mapRun);
  };
  if (oversized) {
    end('FAILED', 'States.DataLimitExceeded');
    throw new TaskError('States.DataLimitExceeded', oversized);
  }
  // Step Functions fails the map run once the failures exceed either threshold given (any failure, when none is):
  // "If you specify both values, the workflow fails when it exceeds either value". The percentage is of items ("the
  // total number of failed or timed out items divided by the total number of items"), so a failed batch counts all
  // its items; the count is of child runs, as DescribeMapRun words it ("the maximum number of failed child workflow
  // executions"), though the guide's threshold page speaks of items for both.
  const tooManyFailures = (failedRuns: number, failedItems: number) =>
    failedRuns > 0 &&
    ((toleratedCount === undefined && toleratedPercent === undefined) ||
      (toleratedCount !== undefined && failedRuns > toleratedCount) ||
      (toleratedPercent !== undefined && (100 * failedItems) / items.length > toleratedPercent));

  const outcomes = await runChildren(childInputs, mapRun, run, tooManyFailures);
  if (run.signal.aborted) {
    end('ABORTED');
    throw new TaskError('States.Runtime', `map run ${mapRun.mapRunArn} stopped with its execution`);
  }
  const failed = outcomes.filter((o) => o?.status === 'FAILED');
  if (tooManyFailures(failed.length, mapRun.itemCounts.failed)) {
    end('FAILED', 'States.ExceedToleratedFailureThreshold');
    throw new TaskError(
      'States.ExceedToleratedFailureThreshold',
      `The specified tolerated failure threshold was exceeded: ${failed.length} of ${childInputs.length} child runs failed, ${mapRun.itemCounts.failed} of ${items.length} items (first: ${failed[0]?.error}: ${failed[0]?.cause})`,
    );
  }
  const done = outcomes as ChildOutcome[];
  // Without a ResultWriter the results are the state's output; a tolerated failure's entry is its Error and Cause.
  // A ResultWriter with only WriterConfig transforms that output instead of writing it to S3 (the results are
  // "returned to the state output"); its OutputType shapes files only.
  const writerConfig = spec.ResultWriter?.WriterConfig;
  const output = spec.ResultWriter?.Resource
    ? await writeResults(spec, done, input, run, mapRun.mapRunArn, mapRunId)
    : writerConfig
      ? done.flatMap((o) => resultRecords(o, mapRun.mapRunArn, writerConfig.Transformation ?? 'COMPACT'))
      : done.map((o) => (o.status === 'SUCCEEDED' ? o.output : { Error: o.error, Cause: o.cause }));
  end('SUCCEEDED');
  return output;
}

const counts = (total: number): MapRunCounts => ({ total, pending: total, running: 0, succeeded: 0, failed: 0, aborted: 0 });

interface ChildOutcome {
  readonly name: string;
  readonly input: unknown;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly startDate: string;
  readonly stopDate: string;
}

/** At most `maxConcurrency` children at once; no new one starts once the failures exceed the threshold or on abort. */
async function runChildren(
  inputs: unknown[],
  mapRun: MapRun,
  run: MapRunContext,
  tooManyFailures: (failedRuns: number, failedItems: number) => boolean,
): Promise<Array<ChildOutcome | undefined>> {
  const outcomes: Array<ChildOutcome | undefined> = new Array(inputs.length);
  const itemsOf = (input: unknown) => (mapRun.itemCounts.total === mapRun.executionCounts.total ? 1 : (input as { Items: unknown[] }).Items.length);
  const move = (input: unknown, from: keyof MapRunCounts, to: keyof MapRunCounts) => {
    for (const [c, n] of [[mapRun.executionCounts, 1], [mapRun.itemCounts, itemsOf(input)]] as const) {
      c[from] -= n;
      c[to] += n;
    }
  };
  const aborts = new Set<() => void>();
  const stopAll = () => aborts.forEach((abort) => abort());
  run.signal.addEventListener('abort', stopAll, { once: true });
  let next = 0;
  const worker = async () => {
    while (next < inputs.length && !run.signal.aborted && !tooManyFailures(mapRun.executionCounts.failed, mapRun.itemCounts.failed)) {
      const index = next++;
      const name = `${mapRun.mapRunArn.slice(mapRun.mapRunArn.lastIndexOf(':') + 1)}-${index}`;
      const startDate = new Date().toISOString();
      const child = run.runChild(inputs[index], { index, name });
      aborts.add(child.abort);
      move(inputs[index], 'pending', 'running');
      try {
        const output = await child.result;
        outcomes[index] = { name, input: inputs[index], status: 'SUCCEEDED', output, startDate, stopDate: new Date().toISOString() };
        move(inputs[index], 'running', run.signal.aborted ? 'aborted' : 'succeeded');
      } catch (err) {
        const { name: error, message: cause } = err as Error;
        outcomes[index] = { name, input: inputs[index], status: 'FAILED', error, cause, startDate, stopDate: new Date().toISOString() };
        move(inputs[index], 'running', 'failed');
      } finally {
        aborts.delete(child.abort);
      }
      run.onChange(mapRun);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(mapRun.maxConcurrency, inputs.length) }, worker));
  } finally {
    run.signal.removeEventListener('abort', stopAll);
  }
  return outcomes;
}

async function readItems(spec: DistributedMapSpec, input: unknown, run: MapRunContext): Promise<unknown[]> {
  const reader = spec.ItemReader;
  if (!reader) {
    const items = spec.ItemsPath ? queryPath(input, spec.ItemsPath) : input;
    if (!Array.isArray(items)) throw new TaskError('States.Runtime', `ItemsPath ${spec.ItemsPath ?? '$'} of the input of ${run.stateName} is not an array`);
    return items;
  }
  const { Bucket, Key, Prefix } = applyTemplate(reader.Parameters as Template, input, run.context) as { Bucket?: string; Key?: string; Prefix?: string };
  if (!Bucket) throw new TaskError('States.ItemReaderFailed', `ItemReader of ${run.stateName} names no Bucket`);
  const config = reader.ReaderConfig ?? {};
  const maxItems = numberAt(config.MaxItems, config.MaxItemsPath, input) || Infinity;
  const limited = (items: unknown[]) => items.slice(0, maxItems);
  if (S3_LIST_OBJECTS.test(reader.Resource)) return limited(await run.store.list(Bucket, Prefix ?? ''));
  if (!Key) throw new TaskError('States.ItemReaderFailed', `ItemReader of ${run.stateName} names no Key`);
  let text: string;
  try {
    text = (await run.store.get(Bucket, Key)).toString('utf8');
  } catch (err) {
    throw new TaskError('States.ItemReaderFailed', `s3://${Bucket}/${Key}: ${(err as Error).message}`);
  }
  switch (config.InputType ?? 'JSON') {
    case 'JSON': {
      const items = parseJson(text, `s3://${Bucket}/${Key}`);
      if (!Array.isArray(items)) throw new TaskError('States.ItemReaderFailed', `s3://${Bucket}/${Key} is not a JSON array`);
      return limited(items);
    }
    case 'JSONL':
      return limited(
        text
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line, i) => parseJson(line, `s3://${Bucket}/${Key} line ${i + 1}`)),
      );
    case 'CSV':
      return limited(csvItems(text, config, `s3://${Bucket}/${Key}`));
  }
}

/**
 * CSV rows as objects of strings, keyed by the first row or the given headers (Step Functions does not convert types).
 * Rows need not have as many fields as there are headers: Step Functions gives empty strings for missing fields and
 * skips additional ones, so the column count is relaxed.
 */
function csvItems(text: string, config: NonNullable<z.infer<typeof itemReaderSchema>['ReaderConfig']>, where: string): Record<string, string>[] {
  const rows = parseCsv(text, { delimiter: DELIMITERS[config.CSVDelimiter ?? 'COMMA'], skip_empty_lines: true, relax_column_count: true }) as string[][];
  const given = config.CSVHeaderLocation === 'GIVEN';
  if (given && !config.CSVHeaders?.length) throw new TaskError('States.ItemReaderFailed', `${where}: CSVHeaderLocation GIVEN needs CSVHeaders`);
  const headers = given ? config.CSVHeaders! : rows.shift() ?? [];
  return rows.map((row) => Object.fromEntries(headers.map((h, i) => [h, row[i] ?? ''])));
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TaskError('States.ItemReaderFailed', `${where} is not valid JSON: ${(err as Error).message}`);
  }
}

/** ItemSelector (or the legacy Parameters): `$` is the state's input, `$$.Map.Item` the item and its index. */
function selectItem(spec: DistributedMapSpec, item: unknown, index: number, input: unknown, context: Record<string, unknown>): unknown {
  const selector = spec.ItemSelector ?? spec.Parameters;
  if (!selector) return item;
  return applyTemplate(selector, input, { ...context, Map: { Item: { Index: index, Value: item } } });
}

/**
 * ItemBatcher: `{ Items: [...], BatchInput }` per child, cut by item count and by the batch's JSON size. An item that
 * alone makes a batch over the size limit cannot be split: `oversized` says so, with the batches before it, and the
 * map run fails rather than run any.
 */
function batch(spec: DistributedMapSpec, items: unknown[], input: unknown, context: Record<string, unknown>): { inputs: unknown[]; oversized?: string } {
  const batcher = spec.ItemBatcher;
  if (!batcher) return { inputs: items };
  const maxItems = numberAt(batcher.MaxItemsPerBatch, batcher.MaxItemsPerBatchPath, input) ?? Infinity;
  const givenBytes = numberAt(batcher.MaxInputBytesPerBatch, batcher.MaxInputBytesPerBatchPath, input);
  if (givenBytes !== undefined && givenBytes > MAX_PAYLOAD_BYTES) {
    throw new TaskError('States.Runtime', `ItemBatcher.MaxInputBytesPerBatchPath: ${givenBytes} is above Step Functions' limit of ${MAX_PAYLOAD_BYTES} bytes`);
  }
  const maxBytes = givenBytes ?? MAX_PAYLOAD_BYTES;
  const limit = givenBytes === undefined ? `Step Functions' limit on a child's input (${maxBytes} bytes)` : `MaxInputBytesPerBatch (${maxBytes} bytes)`;
  const batchInput = batcher.BatchInput ? applyTemplate(batcher.BatchInput, input, context) : undefined;
  const wrap = (batchItems: unknown[]) => (batchInput === undefined ? { Items: batchItems } : { BatchInput: batchInput, Items: batchItems });
  const batches: unknown[][] = [];
  let current: unknown[] = [];
  for (const item of items) {
    const candidate = [...current, item];
    if (current.length && (candidate.length > maxItems || Buffer.byteLength(JSON.stringify(wrap(candidate))) > maxBytes)) {
      batches.push(current);
      current = [item];
    } else {
      current = candidate;
    }
    if (current.length === 1 && Buffer.byteLength(JSON.stringify(wrap(current))) > maxBytes) {
      const index = batches.reduce((n, b) => n + b.length, 0);
      return { inputs: batches.map(wrap), oversized: `Item ${index} alone makes a batch input larger than ${limit}` };
    }
  }
  if (current.length) batches.push(current);
  return { inputs: batches.map(wrap) };
}

/** ResultWriter: manifest.json and SUCCEEDED_n / FAILED_n files under `<Prefix>/<map run id>/`, as Step Functions lays them out. */
async function writeResults(spec: DistributedMapSpec, outcomes: ChildOutcome[], input: unknown, run: MapRunContext, mapRunArn: string, mapRunId: string) {
  const { Bucket, Prefix } = applyTemplate((spec.ResultWriter!.Parameters ?? {}) as Template, input, run.context) as { Bucket?: string; Prefix?: string };
  if (!Bucket) throw new TaskError('States.ResultWriterFailed', `ResultWriter of ${run.stateName} names no Bucket`);
  const { OutputType = 'JSON', Transformation = 'NONE' } = spec.ResultWriter!.WriterConfig ?? {};
  const base = `${Prefix ? `${Prefix.replace(/\/$/, '')}/` : ''}${mapRunId}`;
  const extension = OutputType === 'JSONL' ? 'jsonl' : 'json';
  const files: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', Array<{ Key: string; Size: number }>> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
  for (const status of ['SUCCEEDED', 'FAILED'] as const) {
    const records = outcomes.filter((o) => o.status === status).flatMap((o) => resultRecords(o, mapRunArn, Transformation));
    for (let i = 0, part = 0; i < records.length; i += RESULTS_PER_FILE, part++) {
      const chunk = records.slice(i, i + RESULTS_PER_FILE);
      const body = OutputType === 'JSONL' ? chunk.map((r) => JSON.stringify(r)).join('\n') + '\n' : JSON.stringify(chunk);
      const key = `${base}/${status}_${part}.${extension}`;
      await run.store.put(Bucket, key, body);
      files[status].push({ Key: key, Size: Buffer.byteLength(body) });
    }
  }
  const manifestKey = `${base}/manifest.json`;
  await run.store.put(Bucket, manifestKey, JSON.stringify({ DestinationBucket: Bucket, MapRunArn: mapRunArn, ResultFiles: files }));
  return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket, Key: manifestKey } };
}

/**
 * A child's records in the results: the execution's description (NONE), or only its output (COMPACT), or its output's
 * elements when that is an array (FLATTEN). A failed child's record is its description whatever the transformation:
 * "If a child workflow execution fails, Step Functions returns its execution result unchanged" (as with NONE).
 */
function resultRecords(outcome: ChildOutcome, mapRunArn: string, transformation: 'NONE' | 'COMPACT' | 'FLATTEN'): unknown[] {
  if (outcome.status === 'SUCCEEDED' && transformation === 'COMPACT') return [outcome.output];
  if (outcome.status === 'SUCCEEDED' && transformation === 'FLATTEN') return Array.isArray(outcome.output) ? outcome.output : [outcome.output];
  return [{
    ExecutionArn: `${mapRunArn.replace(':mapRun:', ':execution:')}:${outcome.name}`,
    Name: outcome.name,
    Input: JSON.stringify(outcome.input),
    InputDetails: { Included: true },
    StartDate: outcome.startDate,
    StopDate: outcome.stopDate,
    Status: outcome.status,
    ...(outcome.status === 'SUCCEEDED'
      ? { Output: JSON.stringify(outcome.output), OutputDetails: { Included: true } }
      : { Error: outcome.error, Cause: outcome.cause }),
  }];
}

/** A number given literally or by a path into the state's input. */
function numberAt(value: number | undefined, path: string | undefined, input: unknown): number | undefined {
  if (value !== undefined) return value;
  if (path === undefined) return undefined;
  const found = queryPath(input, path);
  if (typeof found !== 'number' || !Number.isFinite(found)) throw new TaskError('States.Runtime', `${path} is not a number in the state's input`);
  return found;
}
