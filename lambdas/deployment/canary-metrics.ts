import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';

/** Requests one function version served through the alias since the canary started, and how many failed. */
export interface VersionTraffic {
  invocations: number;
  errors: number;
}

/** What the canary watch reads; CloudWatch below, the twin's CloudWatch API in tests. */
export interface CanaryMetrics {
  /** Lambda's own Invocations and Errors of `functionVersion` behind the alias (the ExecutedVersion dimension). */
  versionTraffic(functionVersion: string, since: Date, until: Date): Promise<VersionTraffic>;
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
  ) {}

  async versionTraffic(functionVersion: string, since: Date, until: Date): Promise<VersionTraffic> {
    const dimensions = [
      { Name: 'FunctionName', Value: this.functionName },
      { Name: 'Resource', Value: `${this.functionName}:${this.aliasName}` },
      { Name: 'ExecutedVersion', Value: functionVersion },
    ];
    const query = (id: string, metricName: string): MetricDataQuery => ({
      Id: id,
      MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: metricName, Dimensions: dimensions }, Period: PERIOD_SECONDS, Stat: 'Sum' },
    });
    // From the start of the canary's first minute to the end of the current one.
    const start = new Date(Math.floor(since.getTime() / 60_000) * 60_000);
    const end = new Date(Math.ceil((until.getTime() + 1) / 60_000) * 60_000);
    const totals: Record<string, number> = { invocations: 0, errors: 0 };
    let NextToken: string | undefined;
    do {
      const page = await this.client.send(
        new GetMetricDataCommand({
          StartTime: start,
          EndTime: end,
          MetricDataQueries: [query('invocations', 'Invocations'), query('errors', 'Errors')],
          NextToken,
        }),
      );
      for (const result of page.MetricDataResults ?? []) {
        if (result.Id) totals[result.Id] += (result.Values ?? []).reduce((a, b) => a + b, 0);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return { invocations: totals.invocations, errors: totals.errors };
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
