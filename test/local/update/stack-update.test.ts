import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetAliasCommand, InvokeCommand, LambdaClient, ListVersionsByFunctionCommand, PublishVersionCommand, UpdateAliasCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { CfnOutput, CustomResource, Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../../local/services/aws-environment';
import { Twin } from '../../../local/twin';
import { synthesize } from '../support/synth';

/** Answers with its COLOUR and version; fails on request; sleeps on request (an invocation in flight during an update). */
const ECHO_CODE = (mark: string) => `exports.handler = async (event) => {
  if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
  if (event.fail) throw new Error('asked to fail');
  return { statusCode: 200, body: JSON.stringify({ colour: process.env.COLOUR, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, code: '${mark}' }) };
};`;

/**
 * A custom resource handler as the platform writes one: logs the event, answers by a plain fetch PUT to the
 * ResponseURL. FAILED when asked (Fail: yes); a new PhysicalResourceId on update when asked (NewId: yes).
 */
const PROVIDER_CODE = `exports.handler = async (event) => {
  console.log('CFN_EVENT ' + JSON.stringify(event));
  const p = event.ResourceProperties;
  const fail = p.Fail === 'yes' && event.RequestType !== 'Delete';
  const physical = event.RequestType === 'Create' || p.NewId === 'yes' ? 'greeting-' + p.Greeting : event.PhysicalResourceId;
  await fetch(event.ResponseURL, { method: 'PUT', body: JSON.stringify({
    Status: fail ? 'FAILED' : 'SUCCESS', Reason: fail ? 'the greeting ' + p.Greeting + ' was refused' : undefined,
    PhysicalResourceId: physical, StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId,
    Data: { Echo: p.Greeting },
  }) });
};`;

interface Variant {
  colour: string;
  code: string;
  threshold: number;
  flow: string;
  itemsKey: string;
  tables: string[];
  greeting?: { text: string; fail?: boolean; newId?: boolean };
  aliasDescription?: string;
}

const V1: Variant = { colour: 'blue', code: 'v1', threshold: 1, flow: 'v1', itemsKey: 'pk', tables: ['Removed'], greeting: { text: 'hello' } };

function app(v: Variant): string {
  return synthesize((stack: Stack) => {
    const echo = new lambda.Function(stack, 'Echo', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(ECHO_CODE(v.code)),
      timeout: Duration.seconds(10),
      environment: { COLOUR: v.colour },
      // CDK's default for versions is DESTROY: the old version would be deleted once the alias moved off it.
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
    });
    const live = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: echo.currentVersion, description: v.aliasDescription });
    const url = live.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    new CfnOutput(stack, 'EchoName', { value: echo.functionName });
    new CfnOutput(stack, 'Url', { value: url.url });
    new CfnOutput(stack, 'Colour', { value: v.colour });

    const provider = new lambda.Function(stack, 'Provider', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline(PROVIDER_CODE), timeout: Duration.seconds(5) });
    if (v.greeting) {
      const greeting = new CustomResource(stack, 'Greeting', {
        serviceToken: provider.functionArn,
        resourceType: 'Custom::Greeting',
        properties: { Greeting: v.greeting.text, Fail: v.greeting.fail ? 'yes' : 'no', NewId: v.greeting.newId ? 'yes' : 'no', Count: 3 },
      });
      new CfnOutput(stack, 'GreetingEcho', { value: greeting.getAttString('Echo') });
      new CfnOutput(stack, 'GreetingId', { value: greeting.ref });
    }

    new cloudwatch.Alarm(stack, 'Errors', { metric: echo.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }), threshold: v.threshold, evaluationPeriods: 1 });
    new CfnOutput(stack, 'AlarmName', { value: new cloudwatch.Alarm(stack, 'Unused', { metric: echo.metricThrottles(), threshold: 1, evaluationPeriods: 1 }).alarmName });

    const flow = new sfn.StateMachine(stack, 'Flow', {
      definitionBody: sfn.DefinitionBody.fromChainable(
        new sfn.Wait(stack, 'Bake', { time: sfn.WaitTime.duration(Duration.seconds(60)) }).next(new sfn.Pass(stack, 'Done', { result: sfn.Result.fromObject({ flow: v.flow }) })),
      ),
    });
    new CfnOutput(stack, 'FlowArn', { value: flow.stateMachineArn });

    const items = new dynamodb.Table(stack, 'Items', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, removalPolicy: RemovalPolicy.DESTROY });
    const keyed = new dynamodb.Table(stack, 'Keyed', { partitionKey: { name: v.itemsKey, type: dynamodb.AttributeType.STRING }, removalPolicy: RemovalPolicy.DESTROY });
    new CfnOutput(stack, 'ItemsTable', { value: items.tableName });
    new CfnOutput(stack, 'KeyedTable', { value: keyed.tableName });
    for (const name of v.tables) {
      const table = new dynamodb.Table(stack, name, { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, removalPolicy: RemovalPolicy.DESTROY });
      new CfnOutput(stack, `${name}Table`, { value: table.tableName });
    }
  }, 'Shop');
}

describe('a stack update applied to the running twin', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'stack-update-'));
  const events: Array<Record<string, unknown>> = [];
  let twin: Twin;
  let lambdaClient: LambdaClient;
  let dynamo: DynamoDBClient;

  beforeAll(async () => {
    twin = await Twin.start({
      cdkOut: app(V1),
      dataDirectory: join(scratch, 'data'),
      timeScale: 30,
      onFunctionLog: (_fn, _version, line) => {
        const at = line.indexOf('CFN_EVENT ');
        if (at >= 0) events.push(JSON.parse(line.slice(at + 'CFN_EVENT '.length)));
      },
    });
    lambdaClient = new LambdaClient({ region: 'us-east-1', endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
    dynamo = twin.dynamodb.client('us-east-1');
  });

  afterAll(async () => {
    lambdaClient?.destroy();
    dynamo?.destroy();
    await twin?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const invoke = async (qualifier?: string, payload: unknown = {}) => {
    const out = await lambdaClient.send(new InvokeCommand({ FunctionName: twin.output('EchoName'), Qualifier: qualifier, Payload: Buffer.from(JSON.stringify(payload)) }));
    return { version: out.ExecutedVersion, error: out.FunctionError, body: JSON.parse(JSON.parse(Buffer.from(out.Payload!).toString()).body ?? 'null') };
  };
  const alias = () => lambdaClient.send(new GetAliasCommand({ FunctionName: twin.output('EchoName'), Name: 'live' }));

  it('creates the custom resource at start with the standard event, and resolves its Ref and GetAtt in outputs', () => {
    // THEN the handler got a Create with every field CloudFormation sends, scalars as strings
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      RequestType: 'Create',
      ResourceType: 'Custom::Greeting',
      LogicalResourceId: expect.stringMatching(/^Greeting/),
      StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/Shop/Shop',
      ResponseURL: expect.stringMatching(new RegExp(`^${twin.url}/twin/cloudformation-response/`)),
      ServiceToken: expect.stringMatching(/^arn:aws:lambda:us-east-1:000000000000:function:Shop-Provider/),
      ResourceProperties: { Greeting: 'hello', Count: '3', ServiceToken: expect.any(String) },
    });
    expect(events[0].RequestId).toEqual(expect.any(String));
    expect(twin.output('GreetingEcho')).toBe('hello');
    expect(twin.output('GreetingId')).toBe('greeting-hello');
  });

  it('leaves an alias moved out of band alone when the update does not change its resource', async () => {
    // GIVEN the deployment flow moved live to a version it published (out of band)
    await lambdaClient.send(new UpdateFunctionConfigurationCommand({ FunctionName: twin.output('EchoName'), Environment: { Variables: { COLOUR: 'purple' } } }));
    const published = await lambdaClient.send(new PublishVersionCommand({ FunctionName: twin.output('EchoName'), Description: 'out of band' }));
    expect(published.Version).toBe('2');
    await lambdaClient.send(new UpdateAliasCommand({ FunctionName: twin.output('EchoName'), Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { [published.Version!]: 0.5 } } }));
    // WHEN an update changes only an alarm threshold
    const changeSet = await twin.update(app({ ...V1, threshold: 2 }));
    // THEN only the alarm was updated, and the alias routing is what the flow set
    expect(changeSet).toEqual([expect.objectContaining({ stackName: 'Shop', created: [], updated: [expect.stringMatching(/^Errors/)], replaced: [], deleted: [] })]);
    expect((await alias()).RoutingConfig?.AdditionalVersionWeights).toEqual({ [published.Version!]: 0.5 });
    // AND $LATEST keeps the configuration set out of band: its resource did not change
    expect((await invoke()).body.colour).toBe('purple');
  });

  it('updates code and configuration in place, publishes a new version, keeps the old one, and resets the alias to the template like CloudFormation', async () => {
    // GIVEN a request to version 1 under way, and the alarm in ALARM after failed invocations
    const before = await invoke('1');
    expect(before.body).toEqual({ colour: 'blue', version: '1', code: 'v1' });
    const inFlight = invoke('1', { sleep: 1500 });
    // (alarms evaluated only when the test asks: a period is 2 s at this time scale)
    twin.alarms.stop();
    // two errors: the previous test raised the threshold to 2
    for (const _ of [1, 2]) expect((await invoke(undefined, { fail: true })).error).toBe('Unhandled');
    const alarmName = twin.alarms.definitions.find((a) => a.threshold === 2)!.name;
    twin.alarms.evaluateAll();
    const alarmState = twin.alarms.states.get(alarmName)!;
    expect(alarmState.value).toBe('ALARM');
    // WHEN the code, the environment, the alarm threshold and the custom resource change, and the alias's description
    const versionsBefore = (await lambdaClient.send(new ListVersionsByFunctionCommand({ FunctionName: twin.output('EchoName') }))).Versions!.map((v) => v.Version);
    const urlAnswers: number[] = [];
    let updating = true;
    const urlTraffic = (async () => {
      while (updating) urlAnswers.push((await fetch(twin.output('Url'))).status);
    })();
    const changeSet = await twin.update(app({ ...V1, colour: 'green', code: 'v2', threshold: 5, greeting: { text: 'bonjour' }, aliasDescription: 'v2' }));
    updating = false;
    await urlTraffic;
    // THEN the request in flight finished on version 1, and the URL answered throughout
    expect((await inFlight).body).toEqual({ colour: 'blue', version: '1', code: 'v1' });
    expect(urlAnswers.length).toBeGreaterThan(0);
    expect(urlAnswers.every((status) => status === 200)).toBe(true);
    // AND $LATEST runs the new code, a new version was published after the ones Lambda had, version 1 is unchanged
    expect((await invoke()).body).toEqual({ colour: 'green', version: '$LATEST', code: 'v2' });
    const next = String(Math.max(...versionsBefore.filter((v) => v !== '$LATEST').map(Number)) + 1);
    expect((await invoke(next)).body).toEqual({ colour: 'green', version: next, code: 'v2' });
    expect((await invoke('1')).body).toEqual({ colour: 'blue', version: '1', code: 'v1' });
    expect((await invoke('2')).body).toEqual({ colour: 'purple', version: '2', code: 'v1' });
    expect(next).toBe('3');
    // AND the alias is exactly what the template says: the new version, no routing (the flow's weights are gone)
    const live = await alias();
    expect(live.FunctionVersion).toBe(next);
    expect(live.RoutingConfig?.AdditionalVersionWeights ?? {}).toEqual({});
    // AND the alarm was updated in place and kept its state; the custom resource got an Update
    expect(twin.alarms.definitions.find((a) => a.name === alarmName)?.threshold).toBe(5);
    expect(twin.alarms.states.get(alarmName)).toEqual(alarmState);
    twin.alarms.start();
    expect(events.at(-1)).toMatchObject({
      RequestType: 'Update',
      PhysicalResourceId: 'greeting-hello',
      ResourceProperties: { Greeting: 'bonjour' },
      OldResourceProperties: { Greeting: 'hello' },
    });
    expect(twin.output('GreetingEcho')).toBe('bonjour');
    expect(twin.output('Colour')).toBe('green');
    // AND the change set says so
    const shop = changeSet[0];
    expect(shop.updated).toEqual(expect.arrayContaining([expect.stringMatching(/^Echo/), expect.stringMatching(/^Live/), expect.stringMatching(/^Errors/), expect.stringMatching(/^Greeting/)]));
    expect(shop.created).toEqual([expect.stringMatching(/^EchoCurrentVersion/)]);
    expect(shop.deleted).toEqual([expect.stringMatching(/^EchoCurrentVersion/)]);
    expect(shop.retained).toEqual(shop.deleted);
    expect(shop.outputsChanged).toEqual(expect.arrayContaining(['Colour', 'GreetingEcho']));
    expect(twin.timeline.entries.some((e) => e.kind === 'cloudformation' && e.message.startsWith('stack update: Shop: created'))).toBe(true);
  });

  it('finishes a running execution on its old definition and starts new ones on the new', async () => {
    const arn = twin.output('FlowArn');
    const running = twin.states.start(arn, {});
    await twin.update(app({ ...V1, colour: 'green', code: 'v2', threshold: 5, greeting: { text: 'bonjour' }, aliasDescription: 'v2', flow: 'v3' }));
    const fresh = twin.states.start(arn, {});
    expect((await running.done).output).toEqual({ flow: 'v1' });
    expect((await fresh.done).output).toEqual({ flow: 'v3' });
  });

  it('keeps items, replaces a table whose key changed, adds and removes tables, and deletes a removed custom resource', async () => {
    // GIVEN items in the kept table, the table whose key changes, and the table that goes
    const put = (TableName: string, key: string) => dynamo.send(new PutItemCommand({ TableName, Item: { [key]: { S: 'a' }, note: { S: 'kept?' } } }));
    const items = twin.output('ItemsTable');
    const keyed = twin.output('KeyedTable');
    const removed = twin.output('RemovedTable');
    await put(items, 'pk');
    await put(keyed, 'pk');
    await put(removed, 'pk');
    const deletes = events.length;
    // WHEN the key schema of one table changes, a table is added, one removed, and the custom resource removed
    const changeSet = await twin.update(app({ ...V1, colour: 'green', code: 'v2', threshold: 5, aliasDescription: 'v2', flow: 'v3', itemsKey: 'id', tables: ['Added'], greeting: undefined }));
    // THEN
    expect(changeSet[0].replaced).toEqual([expect.stringMatching(/^Keyed/)]);
    expect(changeSet[0].created).toEqual([expect.stringMatching(/^Added/)]);
    expect(changeSet[0].deleted).toEqual(expect.arrayContaining([expect.stringMatching(/^Removed/), expect.stringMatching(/^Greeting/)]));
    expect((await dynamo.send(new GetItemCommand({ TableName: items, Key: { pk: { S: 'a' } } }))).Item?.note).toEqual({ S: 'kept?' });
    const keySchema = (await dynamo.send(new DescribeTableCommand({ TableName: keyed }))).Table?.KeySchema;
    expect(keySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect((await dynamo.send(new GetItemCommand({ TableName: keyed, Key: { id: { S: 'a' } } }))).Item).toBeUndefined();
    await expect(dynamo.send(new DescribeTableCommand({ TableName: removed }))).rejects.toThrow(/not found/);
    await dynamo.send(new PutItemCommand({ TableName: twin.output('AddedTable'), Item: { pk: { S: 'new' } } }));
    expect(events.slice(deletes)).toEqual([expect.objectContaining({ RequestType: 'Delete', PhysicalResourceId: 'greeting-hello', ResourceProperties: expect.objectContaining({ Greeting: 'bonjour' }) })]);
    expect(() => twin.output('GreetingEcho')).toThrow(/found 0/);
  });
});
