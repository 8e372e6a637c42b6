import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { FunctionEnvironment } from '../../contracts/function-environment';
import type { IModelRegistry } from '../model-registry';
import { MlopsFunction } from './mlops-function';
import { ruleTargetOptions } from './queues';

export interface RetrainOnAlarmsOptions {
  /** What the alarms watch: the trigger's RETRAIN_CAUSE (drift, the handler's default, sets none) and the runs' names. */
  readonly cause: 'drift' | 'quality';
  readonly modelName: string;
  readonly metricsNamespace: string;
  readonly registry: IModelRegistry;
  readonly trainingPipeline: sfn.IStateMachine;
  readonly cooldownHours: number;
  /** The construct's dead-letter queue: the trigger's failed invocations and the rule's undelivered events. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The alarms whose ALARM starts a retraining; no rule without any. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The rule's construct id (its logical ID in the template). */
  readonly ruleId: string;
}

/**
 * The retrain trigger (lambdas/drift/retrain-trigger.handler.ts: one training run per cooldown, recorded in the
 * registry) and the rule that invokes it when any of `alarms` goes to ALARM, for DriftMonitor and ModelQuality alike.
 * Created in `scope` with the id RetrainTrigger.
 */
export function retrainOnAlarms(scope: Construct, options: RetrainOnAlarmsOptions): { trigger: MlopsFunction; rule?: events.Rule } {
  const { cause, modelName } = options;
  const trigger = new MlopsFunction(scope, 'RetrainTrigger', {
    entry: 'lambdas/drift/retrain-trigger.handler.ts',
    description: `Starts a retraining of ${modelName} when its ${cause} alarm fires (once per cooldown)`,
    serviceName: `${cause}-retrain-trigger`,
    metricsNamespace: options.metricsNamespace,
    deadLetterQueue: options.deadLetterQueue,
    environment: {
      REGISTRY_TABLE_NAME: options.registry.table.tableName,
      MODEL_NAME: modelName,
      TRAINING_STATE_MACHINE_ARN: options.trainingPipeline.stateMachineArn,
      RETRAIN_COOLDOWN_HOURS: String(options.cooldownHours),
      ...(cause !== 'drift' && { RETRAIN_CAUSE: cause }),
    } satisfies FunctionEnvironment,
  });
  options.trainingPipeline.grantStartExecution(trigger);
  options.registry.grantCooldownWrite(trigger, modelName);
  if (options.alarms.length === 0) return { trigger };
  const rule = new events.Rule(scope, options.ruleId, {
    description: `${cause === 'drift' ? 'Drift' : 'Quality'} alarms of ${modelName} in ALARM -> retraining`,
    eventPattern: {
      source: ['aws.cloudwatch'],
      detailType: ['CloudWatch Alarm State Change'],
      // Any of them: an alarm event lists only its own ARN.
      resources: options.alarms.map((alarm) => alarm.alarmArn),
      detail: { state: { value: ['ALARM'] } },
    },
    targets: [new targets.LambdaFunction(trigger, ruleTargetOptions(options.deadLetterQueue))],
  });
  return { trigger, rule };
}
