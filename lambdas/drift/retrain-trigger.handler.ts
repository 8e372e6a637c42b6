import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { Logger } from '@aws-lambda-powertools/logger';
import { formatIssues } from '../../contracts/validation-issues';
import { registryDocumentClient } from '../registry/dynamodb-store';
import { optionalEnv, requiredEnv } from '../shared/env';
import { alarmStateChangeEventSchema, RETRAIN_CAUSES, triggerRetraining, type RetrainCause, type RetrainResult } from './retrain-trigger';

const logger = new Logger();
const documentClient = registryDocumentClient(new DynamoDBClient({}));
const sfn = new SFNClient({});

function cooldownHours(): number {
  const raw = requiredEnv('RETRAIN_COOLDOWN_HOURS');
  const hours = Number(raw);
  if (!(hours > 0)) throw new Error(`RETRAIN_COOLDOWN_HOURS must be a positive number, got "${raw}"`);
  return hours;
}

/** RETRAIN_CAUSE: drift (the drift monitor's trigger, which sets none) or quality (ModelQuality's). */
function retrainCause(): RetrainCause {
  const raw = optionalEnv('RETRAIN_CAUSE', 'drift');
  const cause = RETRAIN_CAUSES.find((c) => c === raw);
  if (!cause) throw new Error(`RETRAIN_CAUSE must be one of ${RETRAIN_CAUSES.join(', ')}, got "${raw}"`);
  return cause;
}

export const handler = async (event: unknown): Promise<RetrainResult> => {
  const parsed = alarmStateChangeEventSchema.safeParse(event);
  if (!parsed.success) throw new Error(`not a CloudWatch alarm state change: ${formatIssues(parsed.error, 'event').join('; ')}`);
  const result = await triggerRetraining(
    { documentClient, sfn },
    {
      tableName: requiredEnv('REGISTRY_TABLE_NAME'),
      model: requiredEnv('MODEL_NAME'),
      stateMachineArn: requiredEnv('TRAINING_STATE_MACHINE_ARN'),
      cooldownHours: cooldownHours(),
      cause: retrainCause(),
    },
    parsed.data,
  );
  logger.info('Retraining alarm handled', { alarmName: parsed.data.detail.alarmName, ...result });
  return result;
};
