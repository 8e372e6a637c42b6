import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAliasCommand,
  DeleteAliasCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  LambdaClient,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
  UpdateAliasCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { CfnOutput, type Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../../../local/services/aws-environment';
import { Twin } from '../../../../local/twin';
import { synthesize } from '../../support/synth';

describe('Lambda API: aliases created at run time and provisioned concurrency', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'lambda-api-'));
  let twin: Twin;
  let client: LambdaClient;
  let FunctionName: string;

  beforeAll(async () => {
    // GIVEN a function with no AWS::Lambda::Alias at all
    const cdkOut = synthesize((stack: Stack) => {
      const fn = new lambda.Function(stack, 'Fn', {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline(
          'exports.handler = async () => ({ colour: process.env.COLOUR, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, initialization: process.env.AWS_LAMBDA_INITIALIZATION_TYPE })',
        ),
        environment: { COLOUR: 'blue' },
      });
      new CfnOutput(stack, 'FunctionName', { value: fn.functionName });
    });
    twin = await Twin.start({ cdkOut, dataDirectory: join(scratch, 'data') });
    client = new LambdaClient({ region: 'us-east-1', endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
    FunctionName = twin.output('FunctionName');
    await client.send(new PublishVersionCommand({ FunctionName }));
    await client.send(new UpdateFunctionConfigurationCommand({ FunctionName, Environment: { Variables: { COLOUR: 'green' } } }));
    await client.send(new PublishVersionCommand({ FunctionName }));
  });

  afterAll(async () => {
    client?.destroy();
    await twin?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const invokeLive = async () => JSON.parse(Buffer.from((await client.send(new InvokeCommand({ FunctionName, Qualifier: 'live' }))).Payload!).toString());
  const errorOf = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (err: { name: string; $metadata: { httpStatusCode?: number }; message: string }) => ({ name: err.name, status: err.$metadata.httpStatusCode, message: err.message }),
    );

  it('creates an alias with weighted routing that invocations then use, and refuses a second one of the same name', async () => {
    const created = await client.send(new CreateAliasCommand({ FunctionName, Name: 'live', FunctionVersion: '1', Description: 'serving', RoutingConfig: { AdditionalVersionWeights: { '2': 0 } } }));
    expect(created).toMatchObject({ Name: 'live', FunctionVersion: '1', Description: 'serving', AliasArn: `arn:aws:lambda:us-east-1:000000000000:function:${FunctionName}:live` });
    expect(await invokeLive()).toEqual({ colour: 'blue', version: '1', initialization: 'on-demand' });
    expect(await errorOf(client.send(new CreateAliasCommand({ FunctionName, Name: 'live', FunctionVersion: '2' })))).toEqual({
      name: 'ResourceConflictException',
      status: 409,
      message: `Alias already exists: arn:aws:lambda:us-east-1:000000000000:function:${FunctionName}:live`,
    });
  });

  it('applies an alias update with a RevisionId only to that revision (PreconditionFailedException otherwise)', async () => {
    const read = await client.send(new GetAliasCommand({ FunctionName, Name: 'live' }));
    const moved = await client.send(new UpdateAliasCommand({ FunctionName, Name: 'live', FunctionVersion: '2', RevisionId: read.RevisionId }));
    expect(moved.RevisionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(moved.RevisionId).not.toBe(read.RevisionId);
    // A second writer that read the alias before the first one's update is refused, and the alias stays as it was.
    expect(await errorOf(client.send(new UpdateAliasCommand({ FunctionName, Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } }, RevisionId: read.RevisionId })))).toEqual({
      name: 'PreconditionFailedException',
      status: 412,
      message: 'The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id',
    });
    expect(await client.send(new GetAliasCommand({ FunctionName, Name: 'live' }))).toMatchObject({ FunctionVersion: '2', RevisionId: moved.RevisionId });
    expect(await invokeLive()).toEqual({ colour: 'green', version: '2', initialization: 'on-demand' });
    // Without a RevisionId an update applies whatever the revision.
    await client.send(new UpdateAliasCommand({ FunctionName, Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: {} } }));
    expect(await invokeLive()).toEqual({ colour: 'blue', version: '1', initialization: 'on-demand' });
  });

  it("guards $LATEST's configuration and PublishVersion with its RevisionId, which every configuration change renews", async () => {
    const read = await client.send(new GetFunctionConfigurationCommand({ FunctionName }));
    const updated = await client.send(new UpdateFunctionConfigurationCommand({ FunctionName, Environment: { Variables: { COLOUR: 'red' } }, RevisionId: read.RevisionId }));
    expect(updated.RevisionId).not.toBe(read.RevisionId);
    const stale = await errorOf(client.send(new UpdateFunctionConfigurationCommand({ FunctionName, Environment: { Variables: { COLOUR: 'grey' } }, RevisionId: read.RevisionId })));
    expect(stale).toMatchObject({ name: 'PreconditionFailedException', status: 412, message: expect.stringContaining('Call the GetFunction API') });
    expect(await errorOf(client.send(new PublishVersionCommand({ FunctionName, RevisionId: read.RevisionId })))).toMatchObject({ name: 'PreconditionFailedException', status: 412 });
    const published = await client.send(new PublishVersionCommand({ FunctionName, RevisionId: updated.RevisionId }));
    expect(published).toMatchObject({ Version: '3', Environment: { Variables: { COLOUR: 'red' } } });
  });

  it('refuses an alias of a version that does not exist, a numeric name, and routing weights above 1', async () => {
    expect(await errorOf(client.send(new CreateAliasCommand({ FunctionName, Name: 'next', FunctionVersion: '9' })))).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    expect(await errorOf(client.send(new CreateAliasCommand({ FunctionName, Name: '12', FunctionVersion: '1' })))).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(await errorOf(client.send(new CreateAliasCommand({ FunctionName, Name: 'next', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 1.5 } } })))).toMatchObject({
      name: 'InvalidParameterValueException',
      status: 400,
    });
  });

  it('records provisioned concurrency per alias or version as READY, refuses $LATEST, and deletes it', async () => {
    const put = await client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName, Qualifier: 'live', ProvisionedConcurrentExecutions: 5 }));
    expect(put).toMatchObject({ RequestedProvisionedConcurrentExecutions: 5, AllocatedProvisionedConcurrentExecutions: 5, Status: 'READY' });
    expect(await client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName, Qualifier: 'live' }))).toMatchObject({ RequestedProvisionedConcurrentExecutions: 5, Status: 'READY' });
    // Recorded, not simulated: environments still start when an invocation needs one.
    expect(await invokeLive()).toMatchObject({ initialization: 'on-demand' });
    expect(await errorOf(client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName, Qualifier: '2' })))).toMatchObject({ name: 'ProvisionedConcurrencyConfigNotFoundException', status: 404 });
    expect(await errorOf(client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName, Qualifier: '$LATEST', ProvisionedConcurrentExecutions: 1 })))).toMatchObject({
      name: 'InvalidParameterValueException',
      status: 400,
    });
    expect(await errorOf(client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName, Qualifier: 'missing', ProvisionedConcurrentExecutions: 1 })))).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    await client.send(new DeleteProvisionedConcurrencyConfigCommand({ FunctionName, Qualifier: 'live' }));
    expect(await errorOf(client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName, Qualifier: 'live' })))).toMatchObject({ name: 'ProvisionedConcurrencyConfigNotFoundException' });
  });

  it('deletes an alias (again without error, as Lambda answers), after which invoking it is not found', async () => {
    await client.send(new DeleteAliasCommand({ FunctionName, Name: 'live' }));
    await client.send(new DeleteAliasCommand({ FunctionName, Name: 'live' }));
    expect(await errorOf(client.send(new GetAliasCommand({ FunctionName, Name: 'live' })))).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    expect(await errorOf(client.send(new InvokeCommand({ FunctionName, Qualifier: 'live' })))).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    expect(await errorOf(client.send(new DeleteAliasCommand({ FunctionName: 'no-such-function', Name: 'live' })))).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
  });
});
