import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { cooldownKey } from '../../contracts/registry-table-keys';

/** EventBridge "CloudWatch Alarm State Change" event, the fields the trigger reads. */
export const alarmStateChangeEventSchema = z.object({
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  source: z.literal('aws.cloudwatch'),
  time: z.string(),
  detail: z.object({
    alarmName: z.string().min(1),
    state: z.object({
      value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
      reason: z.string().default(''),
      /** e.g. 2019-10-02T17:04:40.985+0000 */
      timestamp: z.string(),
    }),
  }),
});
export type AlarmStateChangeEvent = z.infer<typeof alarmStateChangeEventSchema>;

/** CloudWatch writes "+0000" offsets, which Date.parse does not accept everywhere. */
function parseAlarmTime(timestamp: string): Date {
  const at = new Date(timestamp.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  if (Number.isNaN(at.getTime())) throw new RangeError(`alarm state timestamp is not a time: "${timestamp}"`);
  return at;
}

/** What a retraining's alarm watched: the inputs (drift monitor) or the answers against their labels (model quality). */
export const RETRAIN_CAUSES = ['drift', 'quality'] as const;
export type RetrainCause = (typeof RETRAIN_CAUSES)[number];

/** <cause>-yyyyMMddTHHmmss (UTC) of the alarm's state change: one execution per alarm episode. */
function retrainExecutionName(cause: RetrainCause, at: Date): string {
  const iso = at.toISOString(); // 2019-10-02T17:04:40.985Z
  return `${cause}-${iso.slice(0, 10).replaceAll('-', '')}T${iso.slice(11, 19).replaceAll(':', '')}`;
}

export interface RetrainDeps {
  documentClient: DynamoDBDocumentClient;
  sfn: SFNClient;
  now?: () => Date;
}

export interface RetrainSettings {
  tableName: string;
  model: string;
  stateMachineArn: string;
  cooldownHours: number;
  /** The run's trigger and the prefix of its name. @default 'drift' */
  cause?: RetrainCause;
}

export type RetrainResult =
  | { status: 'ignored'; state: string }
  | { status: 'cooling-down'; alarmName: string }
  | { status: 'started'; executionName: string; until: string; alreadyRunning: boolean };

/**
 * Starts one training run per drift or quality episode: the cooldown item is claimed with a conditional write
 * (absent, or its `until` passed; one item per model, so a drift alarm and a quality alarm share the cooldown), then the pipeline is started under a name derived from the alarm time,
 * so a redelivered event cannot start it twice. If the start fails the claim is released, so a retry of
 * the event is not swallowed by a cooldown that started nothing.
 */
export async function triggerRetraining(deps: RetrainDeps, settings: RetrainSettings, event: AlarmStateChangeEvent): Promise<RetrainResult> {
  const { state, alarmName } = event.detail;
  if (state.value !== 'ALARM') return { status: 'ignored', state: state.value };
  const now = (deps.now ?? (() => new Date()))();
  const cause = settings.cause ?? 'drift';
  const executionName = retrainExecutionName(cause, parseAlarmTime(state.timestamp));
  const until = new Date(now.getTime() + settings.cooldownHours * 3_600_000).toISOString();
  try {
    await deps.documentClient.send(
      new PutCommand({
        TableName: settings.tableName,
        Item: { ...cooldownKey(settings.model), until, executionName, alarmName, claimedAt: now.toISOString() },
        ConditionExpression: 'attribute_not_exists(pk) OR #until < :now',
        ExpressionAttributeNames: { '#until': 'until' },
        ExpressionAttributeValues: { ':now': now.toISOString() },
      }),
    );
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return { status: 'cooling-down', alarmName };
    throw err;
  }

  const input = JSON.stringify({ trigger: cause, reason: `${alarmName}: ${state.reason}` });
  try {
    await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: settings.stateMachineArn, name: executionName, input }));
    return { status: 'started', executionName, until, alreadyRunning: false };
  } catch (err) {
    if (err instanceof ExecutionAlreadyExists) return { status: 'started', executionName, until, alreadyRunning: true };
    await deps.documentClient.send(
      new DeleteCommand({
        TableName: settings.tableName,
        Key: cooldownKey(settings.model),
        ConditionExpression: 'executionName = :name',
        ExpressionAttributeValues: { ':name': executionName },
      }),
    );
    throw err;
  }
}
