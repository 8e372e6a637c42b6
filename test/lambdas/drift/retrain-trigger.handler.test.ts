import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lambdaEnvFor, startDynalite, type LocalDynamo } from '../../helpers/dynalite';

const MODEL = 'card-fraud';
const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:fraud-training';

/**
 * A Step Functions endpoint speaking the JSON protocol for StartExecution only, with the service's naming
 * rule: a name already used with another input is ExecutionAlreadyExists. `failNext(n)` answers the next n with a 500.
 */
function startStepFunctionsStandIn() {
  const executions = new Map<string, string>();
  const calls: { name: string; input: string; stateMachineArn: string }[] = [];
  let failures = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const request = JSON.parse(body) as { name: string; input: string; stateMachineArn: string };
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      if (req.headers['x-amz-target'] !== 'AWSStepFunctions.StartExecution') {
        res.statusCode = 400;
        return void res.end(JSON.stringify({ __type: 'UnknownOperationException' }));
      }
      if (failures > 0) {
        failures--;
        res.statusCode = 500;
        return void res.end(JSON.stringify({ __type: 'ServiceUnavailable', message: 'try later' }));
      }
      calls.push(request);
      const existing = executions.get(request.name);
      if (existing !== undefined && existing !== request.input) {
        res.statusCode = 400;
        return void res.end(JSON.stringify({ __type: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${request.name}'` }));
      }
      executions.set(request.name, request.input);
      res.end(JSON.stringify({ executionArn: `${ARN.replace('stateMachine', 'execution')}:${request.name}`, startDate: 1.7e9 }));
    });
  });
  return {
    calls,
    failNext: (n: number) => (failures = n),
    listen: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const alarmEvent = (value: 'ALARM' | 'OK', timestamp: string, reason = 'Threshold Crossed: 1 datapoint [0.66] >= 0.3') => ({
  version: '0',
  id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: timestamp.slice(0, 19) + 'Z',
  region: 'eu-west-1',
  resources: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:fraud-drift'],
  detail: { alarmName: 'fraud-drift', state: { value, reason, timestamp }, previousState: { value: 'OK', reason: '', timestamp } },
});

let dynamo: LocalDynamo;
let sfn: ReturnType<typeof startStepFunctionsStandIn>;

async function invoke(event: unknown) {
  const { handler } = await import('../../../lambdas/drift/retrain-trigger.handler');
  return handler(event);
}

const cooldownItem = async () =>
  (await dynamo.documentClient.send(new GetCommand({ TableName: dynamo.tableName, Key: { pk: `COOLDOWN#${MODEL}`, sk: 'RETRAIN' } }))).Item;

beforeAll(async () => {
  dynamo = await startDynalite();
  sfn = startStepFunctionsStandIn();
  const endpoint = await sfn.listen();
  Object.assign(process.env, lambdaEnvFor(dynamo), {
    AWS_ENDPOINT_URL_SFN: endpoint,
    MODEL_NAME: MODEL,
    TRAINING_STATE_MACHINE_ARN: ARN,
    RETRAIN_COOLDOWN_HOURS: '24',
  });
});

afterAll(async () => {
  await sfn?.close();
  await dynamo?.stop();
});

beforeEach(async () => {
  const { DeleteCommand } = await import('@aws-sdk/lib-dynamodb');
  await dynamo.documentClient.send(new DeleteCommand({ TableName: dynamo.tableName, Key: { pk: `COOLDOWN#${MODEL}`, sk: 'RETRAIN' } }));
  sfn.calls.length = 0;
});

describe('retrain trigger', () => {
  it('starts the training pipeline once per cooldown, named after the alarm time', async () => {
    // WHEN the drift alarm goes to ALARM
    const first = await invoke(alarmEvent('ALARM', '2026-03-01T17:04:40.985+0000'));
    // THEN
    expect(first).toMatchObject({ status: 'started', executionName: 'drift-20260301T170440', alreadyRunning: false });
    expect(sfn.calls).toEqual([
      {
        stateMachineArn: ARN,
        name: 'drift-20260301T170440',
        input: JSON.stringify({ trigger: 'drift', reason: 'fraud-drift: Threshold Crossed: 1 datapoint [0.66] >= 0.3' }),
      },
    ]);
    const item = await cooldownItem();
    expect(item).toMatchObject({ executionName: 'drift-20260301T170440', alarmName: 'fraud-drift' });
    const hoursAhead = (Date.parse(item!.until as string) - Date.now()) / 3_600_000;
    expect(hoursAhead).toBeGreaterThan(23.9);
    expect(hoursAhead).toBeLessThanOrEqual(24);

    // WHEN the alarm fires again within the cooldown
    const second = await invoke(alarmEvent('ALARM', '2026-03-01T19:00:00.000+0000'));
    // THEN nothing starts
    expect(second).toEqual({ status: 'cooling-down', alarmName: 'fraud-drift' });
    expect(sfn.calls).toHaveLength(1);
  });

  it('acts again once the cooldown has passed', async () => {
    // GIVEN a cooldown that ended a minute ago
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    await dynamo.documentClient.send(
      new PutCommand({
        TableName: dynamo.tableName,
        Item: { pk: `COOLDOWN#${MODEL}`, sk: 'RETRAIN', until: new Date(Date.now() - 60_000).toISOString(), executionName: 'drift-old' },
      }),
    );
    // WHEN
    const result = await invoke(alarmEvent('ALARM', '2026-03-02T08:00:00.000+0000'));
    // THEN
    expect(result).toMatchObject({ status: 'started', executionName: 'drift-20260302T080000' });
    expect(sfn.calls).toHaveLength(1);
  });

  it("as ModelQuality's trigger (RETRAIN_CAUSE=quality), starts a quality run that shares the drift trigger's cooldown", async () => {
    // GIVEN the quality trigger's environment
    process.env.RETRAIN_CAUSE = 'quality';
    try {
      // WHEN a quality alarm goes to ALARM
      const event = alarmEvent('ALARM', '2026-03-06T08:00:00.000+0000', 'Threshold Crossed: 1 datapoint [0.61] < 0.8');
      event.detail.alarmName = 'fraud-quality-auc';
      const result = await invoke(event);
      // THEN the run is named and triggered as a quality run
      expect(result).toMatchObject({ status: 'started', executionName: 'quality-20260306T080000' });
      expect(JSON.parse(sfn.calls[0].input)).toEqual({ trigger: 'quality', reason: 'fraud-quality-auc: Threshold Crossed: 1 datapoint [0.61] < 0.8' });
    } finally {
      delete process.env.RETRAIN_CAUSE;
    }
    // AND a drift alarm within the cooldown starts nothing more
    expect(await invoke(alarmEvent('ALARM', '2026-03-06T09:00:00.000+0000'))).toEqual({ status: 'cooling-down', alarmName: 'fraud-drift' });
    expect(sfn.calls).toHaveLength(1);
  });

  it('refuses a RETRAIN_CAUSE it does not know, naming it', async () => {
    process.env.RETRAIN_CAUSE = 'hunch';
    try {
      await expect(invoke(alarmEvent('ALARM', '2026-03-07T08:00:00.000+0000'))).rejects.toThrow('RETRAIN_CAUSE must be one of drift, quality, got "hunch"');
    } finally {
      delete process.env.RETRAIN_CAUSE;
    }
    expect(sfn.calls).toHaveLength(0);
  });

  it('ignores OK and INSUFFICIENT_DATA transitions', async () => {
    expect(await invoke(alarmEvent('OK', '2026-03-03T08:00:00.000+0000'))).toEqual({ status: 'ignored', state: 'OK' });
    expect(sfn.calls).toHaveLength(0);
    expect(await cooldownItem()).toBeUndefined();
  });

  it('counts ExecutionAlreadyExists as started', async () => {
    // GIVEN an execution of that name already exists (with another input)
    await invoke(alarmEvent('ALARM', '2026-03-04T08:00:00.000+0000', 'first'));
    const { DeleteCommand } = await import('@aws-sdk/lib-dynamodb');
    await dynamo.documentClient.send(new DeleteCommand({ TableName: dynamo.tableName, Key: { pk: `COOLDOWN#${MODEL}`, sk: 'RETRAIN' } }));
    // WHEN
    const result = await invoke(alarmEvent('ALARM', '2026-03-04T08:00:00.000+0000', 'second'));
    // THEN
    expect(result).toMatchObject({ status: 'started', executionName: 'drift-20260304T080000', alreadyRunning: true });
  });

  it('releases the cooldown when the pipeline could not be started, so a retry acts', async () => {
    // GIVEN Step Functions fails on every attempt the SDK makes
    sfn.failNext(10);
    // WHEN / THEN the error surfaces (so Lambda retries the event) and the cooldown is released
    await expect(invoke(alarmEvent('ALARM', '2026-03-05T08:00:00.000+0000'))).rejects.toThrow(/try later/);
    expect(await cooldownItem()).toBeUndefined();
    // WHEN the retry comes
    sfn.failNext(0);
    const retry = await invoke(alarmEvent('ALARM', '2026-03-05T08:00:00.000+0000'));
    // THEN it starts the pipeline
    expect(retry).toMatchObject({ status: 'started', executionName: 'drift-20260305T080000' });
  });

  it('rejects an event that is not an alarm state change, naming the field', async () => {
    await expect(invoke({ 'detail-type': 'Scheduled Event', source: 'aws.events', time: 'x', detail: {} })).rejects.toThrow(
      /event\.detail-type/,
    );
  });
});
