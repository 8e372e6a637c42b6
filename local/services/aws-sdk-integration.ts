import { LOCAL_CREDENTIALS, type ServiceEndpoints } from './aws-environment';
import { TaskError } from './states/task-error';

/** SDK v3 packages for the services a state machine may call through `aws-sdk:<service>:<action>`. */
const CLIENTS: Record<string, { load: () => Promise<Record<string, unknown>>; client: string; errorPrefix: string; endpoint: keyof ServiceEndpoints }> = {
  dynamodb: { load: () => import('@aws-sdk/client-dynamodb'), client: 'DynamoDBClient', errorPrefix: 'DynamoDb', endpoint: 'dynamodb' },
  s3: { load: () => import('@aws-sdk/client-s3'), client: 'S3Client', errorPrefix: 'S3', endpoint: 's3' },
  lambda: { load: () => import('@aws-sdk/client-lambda'), client: 'LambdaClient', errorPrefix: 'Lambda', endpoint: 'twinUrl' },
  sfn: { load: () => import('@aws-sdk/client-sfn'), client: 'SFNClient', errorPrefix: 'Sfn', endpoint: 'twinUrl' },
  eventbridge: { load: () => import('@aws-sdk/client-eventbridge'), client: 'EventBridgeClient', errorPrefix: 'EventBridge', endpoint: 'twinUrl' },
  firehose: { load: () => import('@aws-sdk/client-firehose'), client: 'FirehoseClient', errorPrefix: 'Firehose', endpoint: 'twinUrl' },
};

type SendableClient = { send(command: unknown): Promise<Record<string, unknown>>; destroy(): void };

/**
 * `arn:aws:states:::aws-sdk:<service>:<action>` for services the twin serves over HTTP: the SDK v3 command of that
 * name, sent to the local endpoint, its response returned without `$metadata`. Errors fail the task as
 * `<Service>.<ErrorName>` (e.g. `DynamoDb.ConditionalCheckFailedException`), the way Step Functions names them.
 */
export async function callAwsSdk(
  endpoints: ServiceEndpoints,
  region: string,
  service: string,
  action: string,
  parameters: Record<string, unknown>,
): Promise<unknown> {
  const spec = CLIENTS[service];
  if (!spec) throw new TaskError('States.Runtime', `the twin has no local aws-sdk integration for "${service}"`);
  const module = await spec.load();
  const commandName = `${action[0].toUpperCase()}${action.slice(1)}Command`;
  const Command = module[commandName] as (new (input: unknown) => unknown) | undefined;
  if (!Command) throw new TaskError('States.Runtime', `aws-sdk:${service}:${action} is not an action of the ${service} SDK`);
  const Client = module[spec.client] as new (config: unknown) => SendableClient;
  const client = new Client({
    region,
    endpoint: endpoints[spec.endpoint],
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    const { $metadata: _metadata, ...response } = await client.send(new Command(parameters));
    return response;
  } catch (err) {
    throw new TaskError(`${spec.errorPrefix}.${(err as Error).name}`, (err as Error).message);
  } finally {
    client.destroy();
  }
}
