import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';

/** Requests one function version served through the alias since the canary started, and how many failed. */
export interface VersionTraffic {
  invocations: number;
  /** Failed requests: the function's own errors (crashes, timeouts) and the 5xx answers the handler returned. */
  errors: number;
}

/** The canary: the function version the alias sends its share to, and the model version it serves. */
export interface CanaryTarget {
  functionVersion: string;
  modelVersion: number;
}

/** What the canary watch reads; CloudWatch below, the twin's CloudWatch API in tests. */
export interface CanaryMetrics {
  /**
   * Lambda's own Invocations and Errors of the function version behind the alias (the ExecutedVersion dimension),
   * plus the handler's InvocationErrors (5xx answers, which Lambda counts as successful invocations) of the model
   * version.
   */
  versionTraffic(canary: CanaryTarget, since: Date, until: Date): Promise<VersionTraffic>;
  /** Which of `alarmNames` are in ALARM now. */
  alarmsInAlarm(alarmNames: readonly string[]): Promise<string[]>;
}

/** Lambda publishes per-minute datapoints; sums over whole minutes cover the canary without gaps. */
const PERIOD_SECONDS = 60;

/** DescribeAlarms takes at most 100 names per call. */
const ALARM_NAMES_PER_CALL = 100;

export class CloudWatchCanaryMetrics implements CanaryMetrics {
  constructor(
    private readonly client: CloudWatchClient,
    private readonly functionName: string,
    private readonly aliasName: string,
    /** Where the inference handler publishes its metrics (`MLOps/<team>`), and the model it serves. */
    private readonly handlerMetrics: { namespace: string; model: string },
  ) {}

  async versionTraffic(canary: CanaryTarget, since: Date, until: Date): Promise<VersionTraffic> {
    const perVersion = [
      { Name: 'FunctionName', Value: this.functionName },
      { Name: 'Resource', Value: `${this.functionName}:${this.aliasName}` },
      { Name: 'ExecutedVersion', Value: canary.functionVersion },
    ];
    const perModelVersion = [
      { Name: 'Model', Value: this.handlerMetrics.model },
      { Name: 'ModelVersion', Value: String(canary.modelVersion) },
    ];
    const query = (id: string, namespace: string, metricName: string, dimensions: typeof perVersion): MetricDataQuery => ({
      Id: id,
      MetricStat: { Metric: { Namespace: namespace, MetricName: metricName, Dimensions: dimensions }, Period: PERIOD_SECONDS, Stat: 'Sum' },
    });
    // From the start of the canary's first minute to the end of the current one.
    const start = new Date(Math.floor(since.getTime() / 60_000) * 60_000);
    const end = new Date(Math.ceil((until.getTime() + 1) / 60_000) * 60_000);
    const totals: Record<string, number> = { invocations: 0, errors: 0, answered5xx: 0 };
    let NextToken: string | undefined;
    do {
      const page = await this.client.send(
        new GetMetricDataCommand({
          StartTime: start,
          EndTime: end,
          MetricDataQueries: [
            query('invocations', 'AWS/Lambda', 'Invocations', perVersion),
            query('errors', 'AWS/Lambda', 'Errors', perVersion),
            query('answered5xx', this.handlerMetrics.namespace, 'InvocationErrors', perModelVersion),
          ],
          NextToken,
        }),
      );
      for (const result of page.MetricDataResults ?? []) {
        if (result.Id) totals[result.Id] += (result.Values ?? []).reduce((a, b) => a + b, 0);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return { invocations: totals.invocations, errors: totals.errors + totals.answered5xx };
  }

  async alarmsInAlarm(alarmNames: readonly string[]): Promise<string[]> {
    const inAlarm: string[] = [];
    for (let i = 0; i < alarmNames.length; i += ALARM_NAMES_PER_CALL) {
      let NextToken: string | undefined;
      do {
        const page = await this.client.send(
          new DescribeAlarmsCommand({ AlarmNames: alarmNames.slice(i, i + ALARM_NAMES_PER_CALL), StateValue: 'ALARM', NextToken }),
        );
        for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) if (alarm.AlarmName) inAlarm.push(alarm.AlarmName);
        NextToken = page.NextToken;
      } while (NextToken);
    }
    return inAlarm;
  }
}
