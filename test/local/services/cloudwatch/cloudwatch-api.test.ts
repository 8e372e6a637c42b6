import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { Duration, type Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchCanaryMetrics } from '../../../../lambdas/deployment/canary-metrics';
import { Clock } from '../../../../local/clock';
import { TwinServer } from '../../../../local/http/twin-server';
import { LOCAL_CREDENTIALS } from '../../../../local/services/aws-environment';
import { Alarms } from '../../../../local/services/cloudwatch/alarms';
import { cloudWatchOperations } from '../../../../local/services/cloudwatch/cloudwatch-api';
import { MetricStore } from '../../../../local/services/cloudwatch/metric-store';
import { Timeline } from '../../../../local/timeline';
import { readApp, synthesize } from '../../support/synth';

const FUNCTION = 'inference';
const perVersion = (version: string) => ({ FunctionName: FUNCTION, Resource: `${FUNCTION}:live`, ExecutedVersion: version });

let server: TwinServer;
let client: CloudWatchClient;
let store: MetricStore;
let alarms: Alarms;

beforeAll(async () => {
  const app = readApp(
    synthesize((stack: Stack) => {
      for (const name of ['errors-warning', 'latency-warning']) {
        new cloudwatch.Alarm(stack, name, {
          alarmName: name,
          metric: new cloudwatch.Metric({ namespace: 'Shop', metricName: name, statistic: 'Sum', period: Duration.minutes(1) }),
          threshold: 1,
          evaluationPeriods: 1,
        });
      }
    }),
  );
  store = new MetricStore(0);
  alarms = new Alarms(app, store, new Clock(1), new Timeline());
  server = new TwinServer();
  server.jsonService('GraniteServiceVersion20100801', cloudWatchOperations(store, alarms));
  const url = await server.listen();
  client = new CloudWatchClient({ region: 'us-east-1', endpoint: url, credentials: LOCAL_CREDENTIALS });
});
afterAll(async () => {
  client?.destroy();
  await server?.close();
});

describe('the CloudWatch API of the twin, through the unchanged SDK', () => {
  it("sums one function version's own invocations and errors behind the alias, and its model's 5xx answers, since a time (the canary watch's read)", async () => {
    const now = Date.now();
    const put = (version: string, metricName: string, ago: number) =>
      store.put({ namespace: 'AWS/Lambda', metricName, dimensions: perVersion(version), timestamp: now - ago, value: 1 });
    // Version 7 is the canary: 4 requests since it started, 3 failed; one older request is before the canary.
    for (const ago of [100, 2_000, 61_000, 62_000]) put('7', 'Invocations', ago);
    for (const ago of [100, 2_000, 61_000]) put('7', 'Errors', ago);
    put('7', 'Invocations', 10 * 60_000);
    // Version 6 (the live one) served much more, all fine: it must not dilute the canary's rate.
    for (let i = 0; i < 50; i++) put('6', 'Invocations', i * 1000);
    // The canary's model (v3) also answered one request with a 5xx, which Lambda counts as a successful invocation.
    const handler = (modelVersion: string, value: number) =>
      store.put({ namespace: 'MLOps/shop', metricName: 'InvocationErrors', dimensions: { Model: 'churn', ModelVersion: modelVersion }, timestamp: now - 500, value });
    handler('3', 1);
    handler('2', 7);

    const metrics = new CloudWatchCanaryMetrics(client, FUNCTION, 'live', { namespace: 'MLOps/shop', model: 'churn' });
    expect(await metrics.versionTraffic({ functionVersion: '7', modelVersion: 3 }, new Date(now - 3 * 60_000), new Date(now))).toEqual({ invocations: 4, errors: 4 });
    expect(await metrics.versionTraffic({ functionVersion: '6', modelVersion: 1 }, new Date(now - 3 * 60_000), new Date(now))).toEqual({ invocations: 50, errors: 0 });
    expect(await metrics.versionTraffic({ functionVersion: '8', modelVersion: 4 }, new Date(now - 3 * 60_000), new Date(now))).toEqual({ invocations: 0, errors: 0 });
  });

  it('names the alarms in ALARM', async () => {
    const metrics = new CloudWatchCanaryMetrics(client, FUNCTION, 'live', { namespace: 'MLOps/shop', model: 'churn' });
    expect(await metrics.alarmsInAlarm(['errors-warning', 'latency-warning'])).toEqual([]);
    const now = Date.now();
    // At `now`, inside the minute the alarm evaluates (a second earlier falls in the previous minute one time in 60).
    store.put({ namespace: 'Shop', metricName: 'errors-warning', dimensions: {}, timestamp: now, value: 5 });
    alarms.evaluateAll(now);
    expect(await metrics.alarmsInAlarm(['errors-warning', 'latency-warning'])).toEqual(['errors-warning']);
  });

  it('answers a bad query as CloudWatch does, naming the field', async () => {
    const bad = client.send(
      new GetMetricDataCommand({
        StartTime: new Date(0),
        EndTime: new Date(),
        MetricDataQueries: [{ Id: 'Bad-Id', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors' }, Period: 60, Stat: 'Sum' } }],
      }),
    );
    await expect(bad).rejects.toMatchObject({ name: 'InvalidParameterValueException', message: expect.stringContaining('MetricDataQueries.0.Id') });
  });
});
