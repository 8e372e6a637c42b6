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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../local/driver/loop-session';
import { LOCAL_CREDENTIALS } from '../../../../local/services/aws-environment';
import { TWIN_MAX_CONCURRENCY } from '../../../../local/services/states/distributed-map';
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
const read = async (key: string) => JSON.parse(await (await s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString());
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
    expect(exceeded.cause).toMatch(/^The specified tolerated failure threshold was exceeded: 2 of 10 child runs failed \(first: RowRefused: /);
    expect(await historyTypes(executionArn)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapRunStarted', 'MapRunFailed', 'MapStateFailed', 'ExecutionFailed']);
  });

  it('iterates over an S3 listing, and over ItemsPath of the input with the Map state\'s Catch on failure', async () => {
    await put('listing/a.txt', 'abc');
    await put('listing/b.txt', 'abcdefg');
    await put('elsewhere/c.txt', 'not listed');
    const objects = await (await run('Objects', {})).done;
    expect(objects.status).toBe('SUCCEEDED');
    expect((objects.output as Array<{ sum: number; first: number }>).map((o) => [o.first, o.sum])).toEqual([[0, 3], [1, 7]]);

    const items = await (await run('Items', { items: [{ value: '1' }, { value: '2' }] })).done;
    expect(items.output).toEqual([{ rows: 1, sum: 1 }, { rows: 1, sum: 2 }]);
    const refused = await (await run('Items', { items: [{ value: '1' }, { value: 'fail' }] })).done;
    expect(refused).toMatchObject({ status: 'SUCCEEDED', output: { error: 'States.ExceedToleratedFailureThreshold' } });
    // MaxConcurrency 0 means "as many as Step Functions allows"; the twin caps that.
    const run0 = twin.states.mapRuns.find((r) => r.stateName === 'EachItem');
    expect(run0?.maxConcurrency).toBe(TWIN_MAX_CONCURRENCY);
  });

  it('stops its children with the execution: StopExecution ends the map run ABORTED and starts no further child', async () => {
    await put('in/long.csv', csv(() => '1'));
    const { executionArn, done } = await run('Rows', { key: 'in/long.csv', run: 'long', sleepMs: 400 });
    const mapRunArn = await waitFor('map run', 10_000, () => twin.states.mapRuns.find((r) => r.executionArn === executionArn && r.executionCounts.running > 0)?.mapRunArn, 20);
    await sfnClient.send(new StopExecutionCommand({ executionArn, error: 'Stopped', cause: 'by the test' }));
    expect((await done).status).toBe('ABORTED');
    const mapRun = await waitFor('map run end', 10_000, () => twin.states.mapRuns.find((r) => r.mapRunArn === mapRunArn && r.status !== 'RUNNING'), 20);
    expect(mapRun.status).toBe('ABORTED');
    expect(mapRun.executionCounts.succeeded + mapRun.executionCounts.aborted).toBeLessThan(10);
    expect(mapRun.executionCounts.pending).toBeGreaterThan(0);
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
