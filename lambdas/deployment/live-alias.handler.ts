import { Logger } from '@aws-lambda-powertools/logger';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { parseInput } from '../registry/parse-input';
import { answerCustomResource, customResourceEventSchema } from './custom-resource';
import { LiveAlias, liveAliasPropertiesSchema } from './live-alias';

const logger = new Logger();
const alias = new LiveAlias(new LambdaClient({}));

/** The `Custom::LiveAlias` resource of the Lambda inference tier (see LiveAlias). */
export const handler = async (raw: unknown) => {
  const event = parseInput(customResourceEventSchema, raw, 'custom resource event');
  const outcome = await answerCustomResource(event, async () => {
    const props = parseInput(liveAliasPropertiesSchema, event.ResourceProperties, 'LiveAlias properties');
    if (event.RequestType === 'Create') return alias.create(props);
    if (event.RequestType === 'Update') return alias.update(props, parseInput(liveAliasPropertiesSchema, event.OldResourceProperties, 'LiveAlias old properties'));
    await alias.delete(props);
    return { physicalResourceId: event.PhysicalResourceId ?? event.RequestId };
  });
  logger.info('LiveAlias', { requestType: event.RequestType, outcome: outcome instanceof Error ? outcome.message : outcome });
};
