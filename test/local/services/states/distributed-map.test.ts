import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeMapRunCommand, GetExecutionHistoryCommand, ListMapRunsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { CfnOutput, Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../local/driver/loop-session';
import { LOCAL_CREDENTIALS } from '../../../../local/services/aws-environment';
import { parseDistributedMap, TWIN_MAX_CONCURRENCY } from '../../../../local/services/states/distributed-map';
import { Twin } from '../../../../local/twin';
import { synthesize } from '../../support/synth';

/**
 * Sums a batch's `value` fields (strings, as the CSV reader gives them) and counts concurrent calls in /tmp, so the test
 * sees the concurrency limit; fails a batch that holds the value "fail"; sleeps `sleepMs` of the batch input.
 */
const SUM_CODE = `const fs = require('fs');
exports.handler = async (event) => {
  const items = event.Items ?? [event];
  if (items.some((i) => i.value === 'fail')) throw Object.assign(new Error('a row says fail'), { name: 'RowRefused' });
  const sleepMs = event.BatchInput?.sleepMs ?? 0;
  if (sleepMs) await new Promise((r) => setTimeout(r, sleepMs));
  return { run: event.BatchInput?.run, rows: items.length, sum: items.reduce((s, i) => s + Number(i.value), 0), first: items[0]?.index };
};`;

const CSV_ROWS = 95;
const csv = (values: (i: number) => string) => ['index,value,ignored', ...Array.from({ length: CSV_ROWS }, (_, i) => `${i},${values(i)},x`)].join('\n');

/** The delimiters ReaderConfig.CSVDelimiter names, by name. */
const CSV_DELIMITERS = { COMMA: ',', PIPE: '|', SEMICOLON: ';', SPACE: ' ', TAB: '\t' } as const;

function buildStack(stack: Stack): void {
  const bucket = new s3.Bucket(stack, 'Data', { removalPolicy: RemovalPolicy.DESTROY });
  const worker = new lambda.Function(stack, 'Sum', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline(SUM_CODE), timeout: Duration.seconds(30) });
  // ResultPath "$" written out, as the CDK writes it when asked: the result replaces the input.
  const sum = (id: string) => new tasks.LambdaInvoke(stack, id, { lambdaFunction: worker, payloadResponseOnly: true, resultPath: '$' });
  const machine = (id: string, definition: sfn.IChainable) => {
    const created = new sfn.StateMachine(stack, id, { definitionBody: sfn.DefinitionBody.fromChainable(definition) });
    new CfnOutput(stack, `${id}Arn`, { value: created.stateMachineArn });
  };
  new CfnOutput(stack, 'BucketName', { value: bucket.bucketName });

  // A CSV object read row by row, each row reduced to two fields, ten rows a batch with the run's input beside them,
  // results written to S3.
  const csvMap = new sfn.DistributedMap(stack, 'SumRows', {
    itemReader: new sfn.S3CsvItemReader({ bucket, key: sfn.JsonPath.stringAt('$.key'), csvHeaders: sfn.CsvHeaders.useFirstRow() }),
    itemSelector: { 'index.$': '$$.Map.Item.Value.index', 'value.$': '$$.Map.Item.Value.value' },
    itemBatcher: new sfn.ItemBatcher({ maxItemsPerBatch: 10, batchInput: { 'run.$': '$.run', 'sleepMs.$': '$.sleepMs' } }),
    maxConcurrency: 3,
    toleratedFailureCount: 1,
    resultWriter: new sfn.ResultWriter({ bucket, prefix: 'results' }),
    resultPath: '$.written',
  });
  csvMap.itemProcessor(sum('SumBatch'));
  machine('Rows', csvMap);

  // Every object under a prefix, one child each, results as the state's output.
  const listing = new sfn.DistributedMap(stack, 'EachObject', {
    itemReader: new sfn.S3ObjectsItemReader({ bucket, prefix: 'listing/' }),
    itemSelector: { 'value.$': '$$.Map.Item.Value.Size', 'index.$': '$$.Map.Item.Index' },
  });
  listing.itemProcessor(sum('SumObject'));
  machine('Objects', listing);

  // A JSON array in the input, no ItemReader; a failure in a child is caught by the Map state's Catch.
  const inline = new sfn.DistributedMap(stack, 'EachItem', { itemsPath: '$.items', maxConcurrency: 0 });
  inline.itemProcessor(sum('SumItem'));
  inline.addCatch(new sfn.Pass(stack, 'Refused', { parameters: { 'error.$': '$.Error' } }));
  machine('Items', inline);
  // The same, retried once when a child fails: each attempt is a map run of its own.
  const retried = new sfn.DistributedMap(stack, 'EachItemRetried', { itemsPath: '$.items' });
  retried.itemProcessor(sum('SumItemRetried'));
  retried.addRetry({ maxAttempts: 1, interval: Duration.seconds(1) });
  machine('ItemsRetried', retried);

  // Maps whose children pass their input through, so the state's output shows what each child was given.
  const echo = (id: string, props: sfn.DistributedMapProps) => {
    const map = new sfn.DistributedMap(stack, id, props);
    map.itemProcessor(new sfn.Pass(stack, `${id}Child`));
    return map;
  };
  const key = sfn.JsonPath.stringAt('$.key');
  machine('Lines', echo('EachLine', { itemReader: new sfn.S3JsonLItemReader({ bucket, key }) }));
  // Given headers, with each delimiter Step Functions offers (COMMA is the default).
  for (const [name, delimiter] of Object.entries(CSV_DELIMITERS)) {
    const csvDelimiter = delimiter === ',' ? undefined : sfn.CsvDelimiter[name as keyof typeof sfn.CsvDelimiter];
    machine(`Given${name}`, echo(`GivenRows${name}`, { itemReader: new sfn.S3CsvItemReader({ bucket, key, csvHeaders: sfn.CsvHeaders.use(['id', 'name', 'score']), csvDelimiter }) }));
  }
  // The header row, tab-separated, then at most three rows.
  machine('FirstThree', echo('FirstRows', { itemReader: new sfn.S3CsvItemReader({ bucket, key, csvHeaders: sfn.CsvHeaders.useFirstRow(), csvDelimiter: sfn.CsvDelimiter.TAB, maxItems: 3 }) }));
  // Batches of at most 200 bytes, the run's tag beside the items; and, from a JSON Lines object, batches of at most ten
  // items under Step Functions' own 256 KiB (each child reports only how many items it got).
  machine('Bytes', echo('SmallBatches', { itemsPath: '$.items', itemBatcher: new sfn.ItemBatcher({ maxInputBytesPerBatch: 200, batchInput: { 'tag.$': '$.tag' } }) }));
  const big = new sfn.DistributedMap(stack, 'BigBatches', { itemReader: new sfn.S3JsonLItemReader({ bucket, key }), itemBatcher: new sfn.ItemBatcher({ maxItemsPerBatch: 10 }) });
  big.itemProcessor(new sfn.Pass(stack, 'CountBatch', { parameters: { 'items.$': 'States.ArrayLength($.Items)' } }));
  machine('Big', big);

  // Failures tolerated up to a share of the items, batched as the input says; and up to a count and a share at once.
  const tolerant = new sfn.DistributedMap(stack, 'SomeMayFail', { itemsPath: '$.items', itemBatcher: new sfn.ItemBatcher({ maxItemsPerBatchPath: '$.batch' }), toleratedFailurePercentage: 25 });
  tolerant.itemProcessor(sum('SumSome'));
  machine('Tolerant', tolerant);
  const either = new sfn.DistributedMap(stack, 'BothThresholds', { itemsPath: '$.items', toleratedFailureCount: 5, toleratedFailurePercentage: 20 });
  either.itemProcessor(sum('SumBoth'));
  machine('Either', either);

  // ResultWriter with WriterConfig (resultWriterV2, behind its feature flag): children return their item, or fail on
  // an item with a `fail` field; one failure is tolerated.
  const v2 = new Construct(stack, 'WriterV2');
  v2.node.setContext('@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2', true);
  const writing = (id: string, resultWriterV2: sfn.ResultWriterV2) => {
    const map = new sfn.DistributedMap(v2, id, { itemsPath: '$.items', toleratedFailureCount: 1, resultWriterV2 });
    const refuse = new sfn.Fail(v2, `${id}Refuse`, { error: 'Refused', cause: 'the item says fail' });
    map.itemProcessor(new sfn.Choice(v2, `${id}Check`).when(sfn.Condition.isPresent('$.fail'), refuse).otherwise(new sfn.Pass(v2, `${id}Keep`)));
    return map;
  };
  const config = (outputType: sfn.OutputType, transformation: sfn.Transformation) => new sfn.WriterConfig({ outputType, transformation });
  machine('WriteCompactLines', writing('CompactLines', new sfn.ResultWriterV2({ bucket, prefix: 'compact', writerConfig: config(sfn.OutputType.JSONL, sfn.Transformation.COMPACT) })));
  machine('WriteFlat', writing('FlatJson', new sfn.ResultWriterV2({ bucket, prefix: 'flat', writerConfig: config(sfn.OutputType.JSON, sfn.Transformation.FLATTEN) })));
  machine('WriteFullLines', writing('FullLines', new sfn.ResultWriterV2({ bucket, prefix: 'full', writerConfig: config(sfn.OutputType.JSONL, sfn.Transformation.NONE) })));
  machine('FlattenOutput', writing('FlatOutput', new sfn.ResultWriterV2({ writerConfig: config(sfn.OutputType.JSON, sfn.Transformation.FLATTEN) })));
}

let scratch: string;
let twin: Twin;
let sfnClient: SFNClient;
let s3Client: S3Client;
let bucket: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'distributed-map-'));
  twin = await Twin.start({ cdkOut: synthesize(buildStack), dataDirectory: join(scratch, 'data') });
  const credentials = LOCAL_CREDENTIALS;
  sfnClient = new SFNClient({ region: twin.app.env.region, endpoint: twin.url, credentials });
  s3Client = new S3Client({ region: twin.app.env.region, endpoint: twin.endpoints.s3, credentials, forcePathStyle: true });
  bucket = twin.output('BucketName');
}, 120_000);
afterAll(async () => {
  sfnClient?.destroy();
  s3Client?.destroy();
  await twin?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const put = (key: string, body: string) => s3Client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const readText = async (key: string) => (await s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
const read = async (key: string) => JSON.parse(await readText(key));
async function run(machine: string, input: unknown) {
  const { executionArn } = await sfnClient.send(new StartExecutionCommand({ stateMachineArn: twin.output(`${machine}Arn`), input: JSON.stringify(input) }));
  const execution = twin.states.describe(executionArn!);
  return { executionArn: executionArn!, done: execution.done };
}
const historyTypes = async (executionArn: string) => ((await sfnClient.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? []).map((e) => e.type);

describe('Distributed Map in the twin', () => {
  it('reads a CSV object, selects and batches rows, runs 3 children at a time, and writes the results as Step Functions does', async () => {
    await put('in/values.csv', csv((i) => String(i * 2)));
    const { executionArn, done } = await run('Rows', { key: 'in/values.csv', run: 'r-1', sleepMs: 0 });
    const execution = await done;
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');

    const { written } = execution.output as { written: { MapRunArn: string; ResultWriterDetails: { Bucket: string; Key: string } } };
    expect(written.ResultWriterDetails).toEqual({ Bucket: bucket, Key: expect.stringMatching(/^results\/[0-9a-f-]{36}\/manifest\.json$/) });
    const manifest = await read(written.ResultWriterDetails.Key);
    expect(manifest).toMatchObject({ DestinationBucket: bucket, MapRunArn: written.MapRunArn, ResultFiles: { FAILED: [], PENDING: [] } });
    expect(manifest.ResultFiles.SUCCEEDED).toHaveLength(1);
    const results = await read(manifest.ResultFiles.SUCCEEDED[0].Key);
    // 95 rows in batches of 10: 10 children, the last with 5 rows; every batch carries the run's BatchInput.
    expect(results).toHaveLength(10);
    const outputs = results.map((r: { Status: string; Output: string }) => ({ status: r.Status, ...JSON.parse(r.Output) })).sort((a: { first: string }, b: { first: string }) => Number(a.first) - Number(b.first));
    expect(outputs.map((o: { rows: number }) => o.rows)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
    expect(outputs.every((o: { status: string; run: string }) => o.status === 'SUCCEEDED' && o.run === 'r-1')).toBe(true);
    // The sum over every batch is the sum over the file: no row lost or read twice.
    expect(outputs.reduce((s: number, o: { sum: number }) => s + o.sum, 0)).toBe(Array.from({ length: CSV_ROWS }, (_, i) => i * 2).reduce((a, b) => a + b));

    const [mapRun] = (await sfnClient.send(new ListMapRunsCommand({ executionArn }))).mapRuns ?? [];
    expect(mapRun.mapRunArn).toBe(written.MapRunArn);
    const described = await sfnClient.send(new DescribeMapRunCommand({ mapRunArn: mapRun.mapRunArn! }));
    expect(described).toMatchObject({
      status: 'SUCCEEDED',
      maxConcurrency: 3,
      toleratedFailureCount: 1,
      itemCounts: { total: CSV_ROWS, succeeded: CSV_ROWS, failed: 0, pending: 0, running: 0 },
      executionCounts: { total: 10, succeeded: 10, failed: 0 },
    });
    expect(await historyTypes(executionArn)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapRunStarted', 'MapRunSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
  });

  it('never runs more children at once than MaxConcurrency', async () => {
    await put('in/slow.csv', csv(() => '1'));
    const { executionArn, done } = await run('Rows', { key: 'in/slow.csv', run: 'slow', sleepMs: 150 });
    let most = 0;
    let runArn: string | undefined;
    while (twin.states.describe(executionArn).status === 'RUNNING') {
      runArn ??= twin.states.mapRuns.find((r) => r.executionArn === executionArn)?.mapRunArn;
      if (runArn) most = Math.max(most, (await sfnClient.send(new DescribeMapRunCommand({ mapRunArn: runArn }))).executionCounts!.running!);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await done).status).toBe('SUCCEEDED');
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(3);
  });

  it('tolerates one failed batch (written to FAILED_0.json) and fails the map run past it with States.ExceedToleratedFailureThreshold', async () => {
    await put('in/one-bad.csv', csv((i) => (i === 42 ? 'fail' : '1')));
    const tolerated = await (await run('Rows', { key: 'in/one-bad.csv', run: 'one', sleepMs: 0 })).done;
    expect(tolerated.status).toBe('SUCCEEDED');
    const manifest = await read((tolerated.output as { written: { ResultWriterDetails: { Key: string } } }).written.ResultWriterDetails.Key);
    const [failed] = await read(manifest.ResultFiles.FAILED[0].Key);
    expect(failed).toMatchObject({ Status: 'FAILED', Error: 'RowRefused' });
    expect(JSON.parse(failed.Input).Items.map((i: { index: string }) => i.index)).toContain('42');

    await put('in/two-bad.csv', csv((i) => (i === 3 || i === 77 ? 'fail' : '1')));
    const { executionArn, done } = await run('Rows', { key: 'in/two-bad.csv', run: 'two', sleepMs: 0 });
    const exceeded = await done;
    expect(exceeded).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    expect(exceeded.cause).toMatch(/^The specified tolerated failure threshold was exceeded: 2 of 10 child runs failed, 20 of 95 items \(first: RowRefused: /);
    expect(await historyTypes(executionArn)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapRunStarted', 'MapRunFailed', 'MapStateFailed', 'ExecutionFailed']);
  });

  it('iterates over an S3 listing, and over ItemsPath of the input with the Map state\'s Catch on failure', async () => {
    await put('listing/a.txt', 'abc');
    await put('listing/b.txt', 'abcdefg');
    await put('elsewhere/c.txt', 'not listed');
    const objects = await (await run('Objects', {})).done;
    expect(objects.status).toBe('SUCCEEDED');
    expect((objects.output as Array<{ sum: number; first: number }>).map((o) => [o.first, o.sum])).toEqual([[0, 3], [1, 7]]);

    const itemsRun = await run('Items', { items: [{ value: '1' }, { value: '2' }] });
    const items = await itemsRun.done;
    expect(items.output).toEqual([{ rows: 1, sum: 1 }, { rows: 1, sum: 2 }]);
    // Its map run starts as soon as the state is entered (no ItemReader to wait for), and still comes after it.
    expect(await historyTypes(itemsRun.executionArn)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapRunStarted', 'MapRunSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
    const refused = await (await run('Items', { items: [{ value: '1' }, { value: 'fail' }] })).done;
    expect(refused).toMatchObject({ status: 'SUCCEEDED', output: { error: 'States.ExceedToleratedFailureThreshold' } });
    // MaxConcurrency 0 means "as many as Step Functions allows"; the twin caps that.
    const run0 = twin.states.mapRuns.find((r) => r.stateName === 'EachItem');
    expect(run0?.maxConcurrency).toBe(TWIN_MAX_CONCURRENCY);
  });

  it("puts each attempt's map run after its state's entry or retry in the history", async () => {
    const { executionArn, done } = await run('ItemsRetried', { items: [{ value: '1' }, { value: 'fail' }] });
    expect((await done).status).toBe('FAILED');
    expect(await historyTypes(executionArn)).toEqual([
      'ExecutionStarted',
      'MapStateEntered',
      'MapRunStarted',
      'MapRunFailed',
      'MapStateFailed',
      // The retry: a second map run, after the first attempt's failure, not at the end of the history.
      'MapRunStarted',
      'MapRunFailed',
      'MapStateFailed',
      'ExecutionFailed',
    ]);
  });

  it('stops its children with the execution: StopExecution ends the map run ABORTED and starts no further child', async () => {
    await put('in/long.csv', csv(() => '1'));
    const { executionArn, done } = await run('Rows', { key: 'in/long.csv', run: 'long', sleepMs: 400 });
    const mapRunArn = await waitFor('map run', 10_000, () => twin.states.mapRuns.find((r) => r.executionArn === executionArn && r.executionCounts.running > 0)?.mapRunArn, 20);
    await sfnClient.send(new StopExecutionCommand({ executionArn, error: 'Stopped', cause: 'by the test' }));
    expect((await done).status).toBe('ABORTED');
    const mapRun = await waitFor('map run end', 10_000, () => twin.states.mapRuns.find((r) => r.mapRunArn === mapRunArn && r.status !== 'RUNNING'), 20);
    expect(mapRun.status).toBe('ABORTED');
    // Its end is in the history, before the execution's.
    expect(await historyTypes(executionArn)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapRunStarted', 'MapRunAborted', 'ExecutionAborted']);
    expect(mapRun.executionCounts.succeeded + mapRun.executionCounts.aborted).toBeLessThan(10);
    expect(mapRun.executionCounts.pending).toBeGreaterThan(0);
  });

  it('reads a JSON Lines object: one JSON value per line, each as it is, the blank last line skipped', async () => {
    const values = [{ index: 0, value: 'a' }, { index: 1, value: 2, nested: { ok: true } }, [1, 'two'], 'text', 7, null];
    await put('in/values.jsonl', `${values.map((v) => JSON.stringify(v)).join('\n')}\n`);
    const execution = await (await run('Lines', { key: 'in/values.jsonl' })).done;
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    expect(execution.output).toEqual(values);
  });

  it('reads a CSV with given headers and each CSVDelimiter: the first row is data, every value a string, short rows padded and long ones cut', async () => {
    for (const [name, d] of Object.entries(CSV_DELIMITERS)) {
      // Step Functions gives empty strings for missing fields and skips additional ones.
      await put(`in/given-${name}.csv`, ['1', 'ann', '3.5'].join(d) + '\n' + ['2', 'bob'].join(d) + '\n' + ['3', 'cy', '7', 'extra'].join(d) + '\n');
      const execution = await (await run(`Given${name}`, { key: `in/given-${name}.csv` })).done;
      expect(execution.status, `${name}: ${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
      expect(execution.output, name).toEqual([
        { id: '1', name: 'ann', score: '3.5' },
        { id: '2', name: 'bob', score: '' },
        { id: '3', name: 'cy', score: '7' },
      ]);
    }
  });

  it('passes only the first MaxItems items on, the CSV header row not counted', async () => {
    await put('in/five.tsv', ['id\tname', ...['a', 'b', 'c', 'd', 'e'].map((n, i) => `${i}\t${n}`)].join('\n'));
    const { executionArn, done } = await run('FirstThree', { key: 'in/five.tsv' });
    const execution = await done;
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    expect(execution.output).toEqual([{ id: '0', name: 'a' }, { id: '1', name: 'b' }, { id: '2', name: 'c' }]);
    const [mapRun] = (await sfnClient.send(new ListMapRunsCommand({ executionArn }))).mapRuns ?? [];
    expect((await sfnClient.send(new DescribeMapRunCommand({ mapRunArn: mapRun.mapRunArn! }))).itemCounts).toMatchObject({ total: 3, succeeded: 3 });
  });

  it('splits batches so that each child input stays within MaxInputBytesPerBatch, and fails the map run on an item that alone exceeds it', async () => {
    // Sizes in UTF-8 bytes: "é" is two.
    const items = Array.from({ length: 12 }, (_, n) => ({ n, pad: (n % 3 === 0 ? 'é' : 'x').repeat(5 + ((n * 7) % 30)) }));
    const execution = await (await run('Bytes', { items, tag: 'b-1' })).done;
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    const batches = execution.output as Array<{ BatchInput: unknown; Items: unknown[] }>;
    for (const b of batches) {
      expect(Buffer.byteLength(JSON.stringify(b))).toBeLessThanOrEqual(200);
      expect(b.BatchInput).toEqual({ tag: 'b-1' });
    }
    // Every item once, in order, and batched (not one child per item).
    expect(batches.flatMap((b) => b.Items)).toEqual(items);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.length).toBeLessThan(items.length);

    const tooBigRun = await run('Bytes', { items: [{ n: 0 }, { n: 1, pad: 'x'.repeat(200) }], tag: 'b-2' });
    expect(await tooBigRun.done).toMatchObject({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: 'Item 1 alone makes a batch input larger than MaxInputBytesPerBatch (200 bytes)',
    });
    // The map run exists and failed, no child run started.
    const [failedRun] = (await sfnClient.send(new ListMapRunsCommand({ executionArn: tooBigRun.executionArn }))).mapRuns ?? [];
    expect(await sfnClient.send(new DescribeMapRunCommand({ mapRunArn: failedRun.mapRunArn! }))).toMatchObject({ status: 'FAILED', executionCounts: { succeeded: 0, failed: 0, running: 0 } });

    // Step Functions allows at most 256 KiB.
    const state = (bytes: number) => ({ ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, ItemBatcher: { MaxInputBytesPerBatch: bytes } });
    expect(() => parseDistributedMap('Batches', state(256 * 1024))).not.toThrow();
    expect(() => parseDistributedMap('Batches', state(256 * 1024 + 1))).toThrow(/^Distributed Map state "Batches": ItemBatcher\.MaxInputBytesPerBatch: /);
  });

  it('keeps batches within 256 KiB without MaxInputBytesPerBatch, and fails the map run on an item larger than that', async () => {
    // Five items of about 100 kB: ten fit MaxItemsPerBatch, but only two fit 256 KiB.
    const line = (n: number, size: number) => JSON.stringify({ n, pad: 'x'.repeat(size) });
    await put('in/big.jsonl', Array.from({ length: 5 }, (_, n) => line(n, 100_000)).join('\n'));
    const execution = await (await run('Big', { key: 'in/big.jsonl' })).done;
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    expect(execution.output).toEqual([{ items: 2 }, { items: 2 }, { items: 1 }]);

    await put('in/huge.jsonl', [line(0, 10), line(1, 300_000)].join('\n'));
    expect(await (await run('Big', { key: 'in/huge.jsonl' })).done).toMatchObject({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: "Item 1 alone makes a batch input larger than Step Functions' limit on a child's input (262144 bytes)",
    });
  });

  it('tolerates failed items up to ToleratedFailurePercentage of all items and fails past it with States.ExceedToleratedFailureThreshold', async () => {
    const values = (...v: string[]) => v.map((value, index) => ({ index, value }));
    // One of four items: 25%, at the threshold.
    const { executionArn, done } = await run('Tolerant', { items: values('1', 'fail', '1', '1'), batch: 1 });
    const atThreshold = await done;
    expect(atThreshold.status, `${atThreshold.error}: ${atThreshold.cause}`).toBe('SUCCEEDED');
    expect(atThreshold.output).toEqual([{ rows: 1, sum: 1, first: 0 }, { Error: 'RowRefused', Cause: expect.any(String) }, { rows: 1, sum: 1, first: 2 }, { rows: 1, sum: 1, first: 3 }]);
    const [mapRun] = (await sfnClient.send(new ListMapRunsCommand({ executionArn }))).mapRuns ?? [];
    expect(await sfnClient.send(new DescribeMapRunCommand({ mapRunArn: mapRun.mapRunArn! }))).toMatchObject({
      status: 'SUCCEEDED',
      toleratedFailurePercentage: 25,
      itemCounts: { total: 4, succeeded: 3, failed: 1 },
    });

    // One of three: 33%.
    const past = await run('Tolerant', { items: values('1', 'fail', '1'), batch: 1 });
    expect(await past.done).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    expect(await historyTypes(past.executionArn)).toEqual(expect.arrayContaining(['MapRunStarted', 'MapRunFailed', 'ExecutionFailed']));

    // The share is of items, not of child runs: seven items in batches of 3, 3 and 1, the last failing, is one child
    // run of three (33%) but one item of seven (14%).
    const batched = await (await run('Tolerant', { items: values('1', '1', '1', '1', '1', '1', 'fail'), batch: 3 })).done;
    expect(batched.status, `${batched.error}: ${batched.cause}`).toBe('SUCCEEDED');
    expect(batched.output).toEqual([{ rows: 3, sum: 3, first: 0 }, { rows: 3, sum: 3, first: 3 }, { Error: 'RowRefused', Cause: expect.any(String) }]);
  });

  it('fails the map run when either ToleratedFailureCount or ToleratedFailurePercentage is exceeded', async () => {
    const values = (...v: string[]) => v.map((value) => ({ value }));
    // One failure of four: within the count (5) but past the percentage (20).
    expect(await (await run('Either', { items: values('1', 'fail', '1', '1') })).done).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    // One of five: within both.
    expect((await (await run('Either', { items: values('1', 'fail', '1', '1', '1') })).done).status).toBe('SUCCEEDED');
  });

  it('writes results as WriterConfig asks: JSON or JSON Lines, NONE, COMPACT or FLATTEN, a failed child unchanged; without S3, transforms the output', async () => {
    const items = [[1, 2], { fail: true }, [3], { k: 'v' }];
    type Written = { ResultWriterDetails: { Bucket: string; Key: string } };
    const files = async (machine: string, prefix: string) => {
      const execution = await (await run(machine, { items })).done;
      expect(execution.status, `${machine}: ${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
      const { ResultWriterDetails: where } = execution.output as Written;
      expect(where).toEqual({ Bucket: bucket, Key: expect.stringMatching(new RegExp(`^${prefix}/[0-9a-f-]{36}/manifest\\.json$`)) });
      const manifest = await read(where.Key);
      const [succeeded, failed] = await Promise.all([manifest.ResultFiles.SUCCEEDED, manifest.ResultFiles.FAILED].map(([file]: Array<{ Key: string }>) => readText(file.Key)));
      return { succeeded, failed };
    };
    const lines = (text: string) => {
      expect(text.endsWith('\n')).toBe(true);
      return text.trimEnd().split('\n').map((l) => JSON.parse(l));
    };
    // A failed child's record is the same under every transformation (Step Functions returns it unchanged).
    const failedRecord = { Name: expect.any(String), Input: JSON.stringify({ fail: true }), Status: 'FAILED', Error: 'Refused', Cause: 'the item says fail' };

    // COMPACT in JSON Lines: each child's output on a line of its own.
    const compact = await files('WriteCompactLines', 'compact');
    expect(lines(compact.succeeded)).toEqual([[1, 2], [3], { k: 'v' }]);
    expect(lines(compact.failed)).toEqual([expect.objectContaining(failedRecord)]);

    // FLATTEN in JSON: one array, the children's arrays spread into it.
    const flat = await files('WriteFlat', 'flat');
    expect(JSON.parse(flat.succeeded)).toEqual([1, 2, 3, { k: 'v' }]);
    expect(JSON.parse(flat.failed)).toEqual([expect.objectContaining(failedRecord)]);

    // NONE in JSON Lines: each child execution described, its input and output as JSON strings.
    const full = await files('WriteFullLines', 'full');
    expect(lines(full.succeeded)).toEqual(
      [[1, 2], [3], { k: 'v' }].map((output) => expect.objectContaining({ ExecutionArn: expect.stringContaining(':execution:'), Status: 'SUCCEEDED', Output: JSON.stringify(output) })),
    );
    expect(lines(full.failed)).toEqual([expect.objectContaining(failedRecord)]);

    // WriterConfig alone: nothing written, the state's output transformed.
    const output = await (await run('FlattenOutput', { items })).done;
    expect(output.status, `${output.error}: ${output.cause}`).toBe('SUCCEEDED');
    expect(output.output).toEqual([1, 2, expect.objectContaining(failedRecord), 3, { k: 'v' }]);
  });

  it('refuses a Distributed Map it cannot run, naming the state and the field', async () => {
    const cdkOut = synthesize((stack) => {
      const map = new sfn.DistributedMap(stack, 'Manifest', {
        itemReader: new sfn.S3CsvItemReader({ bucket: new s3.Bucket(stack, 'B'), key: 'k', csvHeaders: sfn.CsvHeaders.use(['a']) }),
      });
      map.itemProcessor(new sfn.Pass(stack, 'P'));
      // An item reader the twin does not implement: S3 inventory manifests.
      const state = map.toStateJson() as { ItemReader: { ReaderConfig: { InputType: string } } };
      state.ItemReader.ReaderConfig.InputType = 'MANIFEST';
      new sfn.StateMachine(stack, 'M', { definitionBody: sfn.DefinitionBody.fromString(JSON.stringify({ StartAt: 'Manifest', States: { Manifest: state } })) });
    }, 'Unsupported');
    await expect(Twin.start({ cdkOut, dataDirectory: join(scratch, 'other') })).rejects.toThrow(
      /^Distributed Map state "Manifest": ItemReader\.ReaderConfig\.InputType: Invalid option/,
    );
  });
});
