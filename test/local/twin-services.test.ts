import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { GetAliasCommand, InvokeCommand, LambdaClient, PublishVersionCommand, UpdateAliasCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../local/driver/loop-session';
import { LOCAL_CREDENTIALS } from '../../local/services/aws-environment';
import { Twin } from '../../local/twin';
import { synthesize } from './support/synth';

/**
 * A function that echoes, fails with a typed error, fails its first `flaky` calls for a key, sleeps past its timeout,
 * or prints an EMF metric on demand.
 */
const ECHO_CODE = `
class OrderRejected extends Error { constructor(m) { super(m); this.name = 'OrderRejected'; } }
class Flaky extends Error { constructor(m) { super(m); this.name = 'Flaky'; } }
const calls = {};
exports.handler = async (event) => {
  if (event.fail) throw new OrderRejected('order ' + event.fail + ' rejected');
  if (event.flaky && (calls[event.flaky.key] = (calls[event.flaky.key] || 0) + 1) <= event.flaky.failures) throw new Flaky('not yet');
  if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
  console.log(JSON.stringify({ _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: 'Shop', Dimensions: [['Service']], Metrics: [{ Name: 'Orders', Unit: 'Count' }] }] }, Service: 'echo', Orders: 1 }));
  return { colour: process.env.COLOUR, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, event };
};`;

/** Prints what it receives from the table stream, so the test reads it from the function's log. */
const STREAM_CODE = `exports.handler = async (event) => { console.log('RECORDS ' + JSON.stringify(event.Records)); return { batchItemFailures: [] }; };`;
/** Reports each FAIL# item as a batch item failure the first time it sees it, and logs every record delivered. */
const FLAKY_CODE = `const seen = new Set();
exports.handler = async (event) => {
  const failures = [];
  for (const record of event.Records) {
    const sk = record.dynamodb.Keys.sk.S;
    console.log('DELIVERED ' + sk);
    if (sk.startsWith('FAIL#') && !seen.has(sk)) { seen.add(sk); failures.push({ itemIdentifier: record.dynamodb.SequenceNumber }); }
  }
  return { batchItemFailures: failures };
};`;
const API_CODE = `exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ id: event.pathParameters.id, email: event.requestContext.authorizer.jwt.claims.email }) });`;

describe('the twin runs a synthesized stack of each service type', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'twin-services-'));
  let twin: Twin;
  let lambdaClient: LambdaClient;

  beforeAll(async () => {
    const outdir = synthesize((stack: Stack) => {
      const echo = new lambda.Function(stack, 'Echo', {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline(ECHO_CODE),
        timeout: Duration.seconds(1),
        environment: { COLOUR: 'blue' },
      });
      new lambda.Alias(stack, 'Live', { aliasName: 'live', version: echo.currentVersion });
      new CfnOutput(stack, 'EchoName', { value: echo.functionName });

      const invoke = new tasks.LambdaInvoke(stack, 'Invoke', { lambdaFunction: echo, resultSelector: { 'skus.$': '$.Payload.event.items[*].sku', 'version.$': '$.ExecutedVersion' } });
      invoke.addCatch(new sfn.Pass(stack, 'Recovered', { parameters: { 'cause.$': '$.error.Cause' } }), { errors: ['OrderRejected'], resultPath: '$.error' });
      const machine = new sfn.StateMachine(stack, 'Flow', {
        definitionBody: sfn.DefinitionBody.fromChainable(invoke.next(new sfn.Wait(stack, 'Bake', { time: sfn.WaitTime.duration(Duration.minutes(5)) }))),
      });
      new CfnOutput(stack, 'FlowArn', { value: machine.stateMachineArn });
      const retried = new tasks.LambdaInvoke(stack, 'InvokeUntilItWorks', { lambdaFunction: echo, payloadResponseOnly: true });
      retried.addRetry({ errors: ['Flaky'], interval: Duration.seconds(30), backoffRate: 2, maxAttempts: 3 });
      const retryFlow = new sfn.StateMachine(stack, 'RetryFlow', { definitionBody: sfn.DefinitionBody.fromChainable(retried) });
      new CfnOutput(stack, 'RetryFlowArn', { value: retryFlow.stateMachineArn });

      const table = new dynamodb.Table(stack, 'Audit', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
        stream: dynamodb.StreamViewType.NEW_IMAGE,
      });
      const reader = new lambda.Function(stack, 'Reader', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline(STREAM_CODE) });
      reader.addEventSource(
        new DynamoEventSource(table, {
          startingPosition: StartingPosition.LATEST,
          batchSize: 10,
          reportBatchItemFailures: true,
          filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT'), dynamodb: { Keys: { sk: { S: FilterRule.beginsWith('AUDIT#') } } } })],
        }),
      );
      new CfnOutput(stack, 'TableName', { value: table.tableName });
      const flakyTable = new dynamodb.Table(stack, 'Flaky', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
        stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      });
      const flaky = new lambda.Function(stack, 'FlakyReader', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline(FLAKY_CODE) });
      flaky.addEventSource(new DynamoEventSource(flakyTable, { startingPosition: StartingPosition.LATEST, batchSize: 10, reportBatchItemFailures: true }));
      new CfnOutput(stack, 'FlakyTableName', { value: flakyTable.tableName });
      new CfnOutput(stack, 'FlakyReaderName', { value: flaky.functionName });
      new CfnOutput(stack, 'ReaderName', { value: reader.functionName });

      const bucket = new s3.Bucket(stack, 'Capture', { removalPolicy: RemovalPolicy.DESTROY });
      const stream = new firehose.DeliveryStream(stack, 'Stream', {
        destination: new firehose.S3Bucket(bucket, { dataOutputPrefix: 'capture/', errorOutputPrefix: 'errors/', bufferingInterval: Duration.seconds(60), compression: firehose.Compression.GZIP }),
      });
      new CfnOutput(stack, 'StreamName', { value: stream.deliveryStreamName });
      new CfnOutput(stack, 'BucketName', { value: bucket.bucketName });

      const api = new apigwv2.HttpApi(stack, 'Api');
      const handler = new lambda.Function(stack, 'ApiHandler', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline(API_CODE) });
      api.addRoutes({
        path: '/items/{id}',
        methods: [apigwv2.HttpMethod.GET],
        integration: new HttpLambdaIntegration('Items', handler),
        authorizer: new HttpJwtAuthorizer('Jwt', 'https://issuer.example.com', { jwtAudience: ['shop-client'] }),
      });
      new CfnOutput(stack, 'ApiUrl', { value: api.url! });
    });
    // At scale 60 the 5-minute Wait takes 5 s and the 60 s Firehose buffer 1 s.
    twin = await Twin.start({ cdkOut: outdir, dataDirectory: join(scratch, 'data'), timeScale: 60 });
    lambdaClient = new LambdaClient({ region: twin.app.env.region, endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
  }, 300_000);

  afterAll(async () => {
    lambdaClient?.destroy();
    await twin?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const invoke = async (payload: unknown, qualifier?: string) => {
    const response = await lambdaClient.send(new InvokeCommand({ FunctionName: twin.output('EchoName'), Qualifier: qualifier, Payload: JSON.stringify(payload) }));
    return { ...response, body: JSON.parse(Buffer.from(response.Payload!).toString()) };
  };

  describe('Lambda', () => {
    it('invokes the alias through the Lambda API with the function environment, and reports function errors', async () => {
      const ok = await invoke({ n: 1 }, 'live');
      expect([ok.ExecutedVersion, ok.body.colour, ok.FunctionError]).toEqual(['1', 'blue', undefined]);
      const failed = await invoke({ fail: 7 });
      expect(failed.FunctionError).toBe('Unhandled');
      expect(failed.body).toMatchObject({ errorType: 'OrderRejected', errorMessage: 'order 7 rejected' });
    });

    it('ends an invocation that exceeds the function timeout', async () => {
      const slow = await invoke({ sleep: 3000 });
      expect(slow.body.errorType).toBe('Sandbox.Timedout');
    });

    it('publishes versions of changed configuration and routes alias traffic by weight', async () => {
      const name = twin.output('EchoName');
      await lambdaClient.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Environment: { Variables: { COLOUR: 'green' } } }));
      const published = await lambdaClient.send(new PublishVersionCommand({ FunctionName: name }));
      expect(published.Version).toBe('2');
      expect((await lambdaClient.send(new PublishVersionCommand({ FunctionName: name }))).Version).toBe('2');
      await lambdaClient.send(new UpdateAliasCommand({ FunctionName: name, Name: 'live', RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } } }));
      const alias = await lambdaClient.send(new GetAliasCommand({ FunctionName: name, Name: 'live' }));
      expect([alias.FunctionVersion, alias.RoutingConfig?.AdditionalVersionWeights]).toEqual(['1', { '2': 0.5 }]);
      const colours = new Set<string>();
      for (let i = 0; i < 40; i++) colours.add((await invoke({}, 'live')).body.colour);
      expect(colours).toEqual(new Set(['blue', 'green']));
    });

    it('turns EMF lines into metrics and counts invocations under AWS/Lambda', async () => {
      await invoke({}, 'live');
      const total = (namespace: string, metricName: string, dimensions: Record<string, string>) =>
        twin.metrics.query({ namespace, metricName, dimensions, stat: 'Sum', periodMs: 3_600_000 }, 0, Date.now() + 1).values.reduce((a, b) => a + b, 0);
      expect(total('Shop', 'Orders', { Service: 'echo' })).toBeGreaterThan(0);
      const name = twin.output('EchoName');
      expect(total('AWS/Lambda', 'Errors', { FunctionName: name })).toBeGreaterThanOrEqual(2);
      expect(total('AWS/Lambda', 'Invocations', { FunctionName: name, Resource: `${name}:live` })).toBeGreaterThanOrEqual(42);
    });
  });

  describe('Step Functions', () => {
    it('runs the synthesized definition: lambda:invoke result shape, wildcard ResultSelector, the Wait on the twin clock', async () => {
      const sfnClient = new SFNClient({ region: twin.app.env.region, endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
      const started = Date.now();
      const { executionArn } = await sfnClient.send(new StartExecutionCommand({ stateMachineArn: twin.output('FlowArn'), name: 'first', input: '{"items":[{"sku":"a"}]}' }));
      const execution = await twin.states.describe(executionArn!).done;
      expect(execution.status).toBe('SUCCEEDED');
      // One match of a wildcard path is still a list, as in Step Functions.
      expect(execution.output).toEqual({ skus: ['a'], version: '$LATEST' });
      expect(Date.now() - started).toBeGreaterThan(4_500);
      await expect(sfnClient.send(new StartExecutionCommand({ stateMachineArn: twin.output('FlowArn'), name: 'first', input: '{"n":2}' }))).rejects.toThrow(/Execution Already Exists/);
      sfnClient.destroy();
    });

    it('catches a function error by its errorType, with the Lambda error payload as the cause', async () => {
      const execution = await twin.states.start(twin.output('FlowArn'), { fail: 9, items: [] }, 'failing').done;
      expect(execution.status).toBe('SUCCEEDED');
      expect(execution.events.map((e) => `${e.type}:${e.state ?? ''}`)).toContain('StateCaught:Invoke');
      expect(JSON.parse((execution.output as { cause: string }).cause)).toMatchObject({ errorType: 'OrderRejected', errorMessage: 'order 9 rejected' });
    });

    it('waits between retries on the twin clock, growing each wait by the BackoffRate', async () => {
      // Two failures: waits of 30 s and 60 s template time, 0.5 s and 1 s at scale 60 (without backoff 0.5 s each).
      const execution = await twin.states.start(twin.output('RetryFlowArn'), { flaky: { key: 'backoff', failures: 2 }, items: [] }, 'retried').done;
      expect(execution.status).toBe('SUCCEEDED');
      expect(execution.events.filter((e) => e.type === 'StateRetried')).toHaveLength(2);
      const seconds = (execution.stopDate!.getTime() - execution.startDate.getTime()) / 1000;
      expect(seconds).toBeGreaterThanOrEqual(1.45);
      expect(seconds).toBeLessThan(5);
    });
  });

  describe('DynamoDB streams', () => {
    it('delivers new items that pass the mapping filter, in DynamoDB JSON', async () => {
      const client = twin.dynamodb.client(twin.app.env.region);
      const table = twin.output('TableName');
      await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'MODEL#m' }, sk: { S: 'OTHER#1' } } }));
      await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'MODEL#m' }, sk: { S: 'AUDIT#1' }, to: { S: 'live' } } }));
      client.destroy();
      const lines = await waitFor('stream delivery', 10_000, () => {
        const found = (twin.functionLogs.get(twin.output('ReaderName')) ?? []).filter((l) => l.startsWith('RECORDS '));
        return found.length ? found : undefined;
      });
      const records = lines.flatMap((l) => JSON.parse(l.slice('RECORDS '.length)) as Array<{ eventName: string; dynamodb: { NewImage: unknown } }>);
      expect(records).toHaveLength(1);
      expect(records[0].eventName).toBe('INSERT');
      expect(records[0].dynamodb.NewImage).toEqual({ pk: { S: 'MODEL#m' }, sk: { S: 'AUDIT#1' }, to: { S: 'live' } });
    });

    it('redelivers from the first item a function reports as failed (ReportBatchItemFailures)', async () => {
      const client = twin.dynamodb.client(twin.app.env.region);
      const table = twin.output('FlakyTableName');
      for (const sk of ['ITEM#1', 'FAIL#2', 'ITEM#3']) await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'p' }, sk: { S: sk } } }));
      client.destroy();
      const delivered = () => (twin.functionLogs.get(twin.output('FlakyReaderName')) ?? []).filter((l) => l.startsWith('DELIVERED ')).map((l) => l.slice(10));
      await waitFor('redelivery', 10_000, () => (delivered().filter((sk) => sk === 'FAIL#2').length === 2 ? true : undefined));
      const log = delivered();
      const first = log.indexOf('FAIL#2');
      const second = log.indexOf('FAIL#2', first + 1);
      // The batch resumed at the failed item: what followed it the first time follows it again.
      expect(log.slice(second + 1, second + (second - first))).toEqual(log.slice(first + 1, second));
      expect(new Set(log)).toEqual(new Set(['ITEM#1', 'FAIL#2', 'ITEM#3']));
    });
  });

  describe('Firehose', () => {
    it('buffers records for the buffering interval and writes one GZIP object under the default hour prefix', async () => {
      const client = new FirehoseClient({ region: twin.app.env.region, endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
      await client.send(new PutRecordBatchCommand({ DeliveryStreamName: twin.output('StreamName'), Records: ['{"a":1}\n', '{"a":2}\n'].map((d) => ({ Data: Buffer.from(d) })) }));
      client.destroy();
      const s3 = new S3Client({ region: twin.app.env.region, endpoint: twin.endpoints.s3, forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
      const list = () => s3.send(new ListObjectsV2Command({ Bucket: twin.output('BucketName'), Prefix: 'capture/' }));
      expect((await list()).Contents ?? []).toHaveLength(0);
      const objects = await waitFor('firehose flush', 10_000, async () => ((await list()).Contents?.length ? (await list()).Contents : undefined));
      expect(objects).toHaveLength(1);
      expect(objects![0].Key).toMatch(/^capture\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/.+\.gz$/);
      const body = await s3.send(new GetObjectCommand({ Bucket: twin.output('BucketName'), Key: objects![0].Key }));
      expect(gunzipSync(Buffer.from(await body.Body!.transformToByteArray())).toString()).toBe('{"a":1}\n{"a":2}\n');
      s3.destroy();
    });
  });

  describe('HTTP API with a JWT authorizer', () => {
    it('accepts a token the twin issues for the template issuer, passes claims and path parameters, refuses others', async () => {
      const url = `${twin.output('ApiUrl').replace(/\/$/, '')}/items/42`;
      expect((await fetch(url)).status).toBe(401);
      const tokenResponse = await fetch(`${twin.url}/twin/auth/token`, { method: 'POST', body: JSON.stringify({ email: 'ana@example.com' }) });
      const { token } = (await tokenResponse.json()) as { token: string };
      const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect([ok.status, await ok.json()]).toEqual([200, { id: '42', email: 'ana@example.com' }]);
      const tampered = `${token.slice(0, -4)}AAAA`;
      expect((await fetch(url, { headers: { authorization: `Bearer ${tampered}` } })).status).toBe(401);
      expect((await fetch(`${twin.url}/twin/auth/token`, { method: 'POST', body: JSON.stringify({ email: 'not-an-email' }) })).status).toBe(400);
    });
  });
});
