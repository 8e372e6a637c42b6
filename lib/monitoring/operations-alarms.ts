import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { IAlarmActionStrategy } from './alarm-actions';
import { AlarmNaming, SeverityAlarms, createThresholdAlarms } from './alarms';
import { ThresholdPair, thresholdProblems } from './thresholds';
import { throwOnPropProblems } from '../private/prop-problems';

/** What the operations alarms watch of the registry: its stream publisher and the rows it could not publish. */
export interface OperatedRegistry {
  /** The function that turns audit rows from the table stream into registry events. */
  readonly streamPublisher: lambda.IFunction;
  /** Audit rows that cannot become an event (they are skipped, so their event is never published). */
  metricMalformedAuditRows(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
}

/** What the operations alarms watch of the approval API. */
export interface OperatedApprovalApi {
  /**
   * Answers with a 5xx status: requests the API failed, not ones it refused.
   * @param props - the alarms' period and statistic (Sum over 5 minutes)
   */
  metricServerErrors(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
}

/** What the operations alarms watch of the deployment flow. */
export interface OperatedDeploymentFlow {
  /** The flow's state machine: its failed, timed-out and aborted executions fire an alarm. */
  readonly stateMachine: sfn.IStateMachine;
  /** The flow's Rollback step: it runs once per deployment that is rolled back inside the flow. */
  readonly rollbackFunction: lambda.IFunction;
}

/** What the operations alarms watch of batch scoring. */
export interface OperatedBatchScoring {
  /** The scoring state machine: its failed, timed-out and aborted executions (runs) fire an alarm. */
  readonly stateMachine: sfn.IStateMachine;
}

/** Props of `OperationsAlarms`. */
export interface OperationsAlarmsProps {
  /** Team name, the first part of every alarm name (`<team>-<model>-<what>-<severity>`). */
  readonly team: string;
  /** The registry model whose platform the alarms watch, the second part of every alarm name. */
  readonly modelName: string;
  /** The model registry: late registry events (stream iterator age) and audit rows never published. */
  readonly registry: OperatedRegistry;
  /** The approval API: its server errors. */
  readonly approvalApi: OperatedApprovalApi;
  /**
   * The deployment flow of a Lambda tier.
   * @default - no deployment alarms (an EKS tier rolls out by stack deployment)
   */
  readonly deploymentFlow?: OperatedDeploymentFlow;
  /**
   * Batch scoring (`mlops score` and its schedules).
   * @default - no scoring alarm
   */
  readonly batchScoring?: OperatedBatchScoring;
  /**
   * Maximum age of the newest stream record the publisher has read, in minutes: registry events are that late.
   * @default { warning: 5, critical: 60 }
   */
  readonly streamIteratorAgeMinutes?: ThresholdPair;
  /**
   * Approval API answers with a 5xx status per 5 minutes.
   * @default { warning: 1, critical: 5 }
   */
  readonly approvalApiServerErrors?: ThresholdPair;
  /**
   * What happens when an alarm changes state.
   * @default - no actions: the alarms show on the dashboard and emit state-change events
   */
  readonly actions?: IAlarmActionStrategy;
}

/** Runs are rare; a failure is looked at over 5 minutes, once. */
const OPERATIONS_PERIOD = Duration.minutes(5);

/**
 * The alarms an operator of the platform acts on, beside the tiers' and drift alarms: deployments that failed or were
 * rolled back, batch scoring runs that failed, registry events that are late (stream iterator age) or were never
 * published (malformed audit rows; the publisher's dead letters have their own DeadLetterQueueAlarm), and approval API
 * server errors. Named by `alarmName` and sent to `actions` like every other alarm.
 */
export class OperationsAlarms extends Construct {
  /** Critical when a deployment execution failed, timed out or was aborted in 5 minutes; only with a deployment flow. */
  readonly deploymentExecutionsFailed?: cloudwatch.Alarm;
  /** Critical when a batch scoring run failed, timed out or was aborted in 5 minutes; only with batch scoring. */
  readonly scoringExecutionsFailed?: cloudwatch.Alarm;
  /** Critical when the flow rolled a deployment back in 5 minutes; only with a deployment flow. */
  readonly deploymentRolledBack?: cloudwatch.Alarm;
  /** Registry events are late: the stream publisher's iterator age above the thresholds, per severity. */
  readonly streamIteratorAge: SeverityAlarms;
  /** Critical when an audit row could not become a registry event (republish it with `mlops events replay`). */
  readonly malformedAuditRows: cloudwatch.Alarm;
  /** Approval API 5xx answers above the thresholds, per severity. */
  readonly approvalApiServerErrors: SeverityAlarms;
  /** Every alarm above, for the dashboard's alarm status widget. */
  readonly alarms: cloudwatch.IAlarm[];
  /** The metrics and thresholds the alarms watch, for the dashboard's graphs. */
  readonly streamIteratorAgeMetric: cloudwatch.IMetric;
  /** The iterator age thresholds in milliseconds (the metric's unit; the props give minutes). */
  readonly streamIteratorAgeThresholdsMs: ThresholdPair;
  /** Approval API 5xx answers, Sum per 5 minutes. */
  readonly approvalApiServerErrorsMetric: cloudwatch.IMetric;
  /** The thresholds of the approval API alarms, for the graph's annotations. */
  readonly approvalApiServerErrorsThresholds: ThresholdPair;

  constructor(scope: Construct, id: string, props: OperationsAlarmsProps) {
    super(scope, id);
    throwOnPropProblems(this, [
      ...thresholdProblems('streamIteratorAgeMinutes', props.streamIteratorAgeMinutes ?? {}, { min: 1, max: 7 * 24 * 60 }),
      ...thresholdProblems('approvalApiServerErrors', props.approvalApiServerErrors ?? {}, { min: 1, max: 1_000_000 }),
    ]);
    const { actions } = props;
    const naming: AlarmNaming = { team: props.team, model: props.modelName };
    const critical = (what: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm =>
      createThresholdAlarms(this, { metric, thresholds: { critical: 1 }, naming, what, description, evaluationPeriods: 1, actions }).Critical!;

    const sum = { period: OPERATIONS_PERIOD, statistic: cloudwatch.Stats.SUM };
    const flow = props.deploymentFlow;
    if (flow) {
      this.deploymentExecutionsFailed = critical(
        'deployment-executions-failed',
        executionsEnded(flow.stateMachine, 'Deployment executions failed, timed out or aborted'),
        'deployment executions that failed, timed out or were aborted in 5 minutes (a rollback, a step error, an abort, or an approval event that deployed nothing; see the execution history)',
      );
      this.deploymentRolledBack = critical(
        'deployment-rolled-back',
        flow.rollbackFunction.metricInvocations({ ...sum, label: 'Deployments rolled back (Rollback step runs)' }),
        'deployments rolled back in 5 minutes (the flow ran its Rollback step: holdout mismatch, unhealthy canary or a failed step)',
      );
    }

    if (props.batchScoring) {
      this.scoringExecutionsFailed = critical(
        'scoring-executions-failed',
        executionsEnded(props.batchScoring.stateMachine, 'Scoring runs failed, timed out or aborted'),
        'batch scoring runs that failed, timed out or were aborted in 5 minutes (a bad input or version, a chunk that failed its retries, the run timeout; see the execution history)',
      );
    }

    const iteratorAge = props.streamIteratorAgeMinutes ?? { warning: 5, critical: 60 };
    this.streamIteratorAgeMetric = props.registry.streamPublisher.metric('IteratorAge', {
      statistic: cloudwatch.Stats.MAXIMUM,
      period: OPERATIONS_PERIOD,
      label: 'Registry stream iterator age (ms)',
    });
    // IteratorAge is in milliseconds; the thresholds are configured in minutes.
    this.streamIteratorAgeThresholdsMs = { warning: minutesToMs(iteratorAge.warning), critical: minutesToMs(iteratorAge.critical) };
    this.streamIteratorAge = createThresholdAlarms(this, {
      metric: this.streamIteratorAgeMetric,
      thresholds: this.streamIteratorAgeThresholdsMs,
      naming,
      what: 'registry-stream-iterator-age',
      description: 'age in ms of the newest registry table stream record the event publisher has read (registry events are this late)',
      evaluationPeriods: 2,
      actions,
    });

    this.malformedAuditRows = critical(
      'registry-events-malformed',
      props.registry.metricMalformedAuditRows({ period: OPERATIONS_PERIOD, statistic: cloudwatch.Stats.SUM }),
      'audit rows the stream publisher could not turn into a registry event in 5 minutes (skipped: republish with `mlops events replay`)',
    );

    this.approvalApiServerErrorsMetric = props.approvalApi.metricServerErrors({ period: OPERATIONS_PERIOD, statistic: cloudwatch.Stats.SUM });
    this.approvalApiServerErrorsThresholds = props.approvalApiServerErrors ?? { warning: 1, critical: 5 };
    this.approvalApiServerErrors = createThresholdAlarms(this, {
      metric: this.approvalApiServerErrorsMetric,
      thresholds: this.approvalApiServerErrorsThresholds,
      naming,
      what: 'approval-api-5xx',
      description: 'approval API answers with a 5xx status in 5 minutes',
      evaluationPeriods: 1,
      actions,
    });

    this.alarms = [
      ...(this.deploymentExecutionsFailed ? [this.deploymentExecutionsFailed] : []),
      ...(this.deploymentRolledBack ? [this.deploymentRolledBack] : []),
      ...(this.scoringExecutionsFailed ? [this.scoringExecutionsFailed] : []),
      ...Object.values(this.streamIteratorAge),
      this.malformedAuditRows,
      ...Object.values(this.approvalApiServerErrors),
    ];
  }
}

/** Executions of `machine` that ended badly (failed, timed out or aborted), Sum per 5 minutes; no data counts as 0. */
export function executionsEnded(machine: sfn.IStateMachine, label: string): cloudwatch.IMetric {
  const sum = { period: OPERATIONS_PERIOD, statistic: cloudwatch.Stats.SUM };
  return new cloudwatch.MathExpression({
    expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
    usingMetrics: { failed: machine.metricFailed(sum), timedOut: machine.metricTimedOut(sum), aborted: machine.metricAborted(sum) },
    label,
    period: OPERATIONS_PERIOD,
  });
}

function minutesToMs(minutes: number | undefined): number | undefined {
  return minutes === undefined ? undefined : minutes * 60_000;
}
