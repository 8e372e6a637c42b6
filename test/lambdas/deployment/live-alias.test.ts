import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetAliasCommand, GetProvisionedConcurrencyConfigCommand, LambdaClient, PublishVersionCommand, UpdateAliasCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { CfnOutput, type Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveAlias, liveAliasPropertiesSchema } from '../../../lambdas/deployment/live-alias';
import { LOCAL_CREDENTIALS } from '../../../local/services/aws-environment';
import { Twin } from '../../../local/twin';
import { synthesize } from '../../local/support/synth';

/**
 * The `live` alias custom resource's core against the twin's Lambda API: a stack update may change the alias's
 * description and provisioned concurrency, never the version the deployment flow put it on.
 */
describe('LiveAlias', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'live-alias-'));
  let twin: Twin;
  let client: LambdaClient;
  let FunctionName: string;
  let alias: LiveAlias;

  beforeAll(async () => {
    const cdkOut = synthesize((stack: Stack) => {
      const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1') });
      new CfnOutput(stack, 'FunctionName', { value: fn.functionName });
    });
    twin = await Twin.start({ cdkOut, dataDirectory: join(scratch, 'data') });
    client = new LambdaClient({ region: 'us-east-1', endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
    FunctionName = twin.output('FunctionName');
    // Versions 1 and 2 (Lambda publishes a new version only of a changed function).
    await client.send(new PublishVersionCommand({ FunctionName }));
    await client.send(new UpdateFunctionConfigurationCommand({ FunctionName, Environment: { Variables: { MODEL_VERSION: '2' } } }));
    await client.send(new PublishVersionCommand({ FunctionName }));
    alias = new LiveAlias(client);
  });

  afterAll(async () => {
    client?.destroy();
    await twin?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const described = async () => {
    const { FunctionVersion, Description } = await client.send(new GetAliasCommand({ FunctionName, Name: 'live' }));
    const concurrency = await client
      .send(new GetProvisionedConcurrencyConfigCommand({ FunctionName, Qualifier: 'live' }))
      .then((config) => config.RequestedProvisionedConcurrentExecutions, (err: Error) => err.name);
    return { FunctionVersion, Description, concurrency };
  };

  it('is created on its initial version, and an update changes its description and provisioned concurrency only', async () => {
    const created = liveAliasPropertiesSchema.parse({ FunctionName, AliasName: 'live', InitialVersion: '1', ProvisionedConcurrency: '0' });
    expect((await alias.create(created)).data.FunctionVersion).toBe('1');
    // The deployment flow moves it.
    await client.send(new UpdateAliasCommand({ FunctionName, Name: 'live', FunctionVersion: '2' }));

    const updated = liveAliasPropertiesSchema.parse({ ...created, Description: 'served by the deployment flow', ProvisionedConcurrency: '3' });
    await alias.update(updated, created);
    expect(await described()).toEqual({ FunctionVersion: '2', Description: 'served by the deployment flow', concurrency: 3 });

    await alias.update(created, updated);
    expect(await described()).toEqual({ FunctionVersion: '2', Description: '', concurrency: 'ProvisionedConcurrencyConfigNotFoundException' });
  });

  it('adopts the alias as it is on a retried create, and deletes it (again without error)', async () => {
    const props = liveAliasPropertiesSchema.parse({ FunctionName, AliasName: 'live', InitialVersion: '1' });
    expect((await alias.create(props)).data.FunctionVersion).toBe('2');
    await alias.delete(props);
    await alias.delete(props);
    await expect(client.send(new GetAliasCommand({ FunctionName, Name: 'live' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
