import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListExecutionsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { CfnOutput, Duration, type Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../../../local/services/aws-environment';
import { Twin } from '../../../../local/twin';
import { synthesize } from '../../support/synth';

function buildStack(stack: Stack): void {
  // 10 minutes of Wait: 10 s at scale 60, long enough to be running while the test starts it again.
  const slow = new sfn.StateMachine(stack, 'Slow', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Wait(stack, 'Hold', { time: sfn.WaitTime.duration(Duration.minutes(10)) })),
  });
  new CfnOutput(stack, 'SlowArn', { value: slow.stateMachineArn });
}

describe('twin Step Functions API: StartExecution names', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'twin-sfn-api-'));
  let twin: Twin;
  let client: SFNClient;
  let stateMachineArn: string;

  beforeAll(async () => {
    twin = await Twin.start({ cdkOut: synthesize(buildStack), dataDirectory: join(scratch, 'data'), timeScale: 60 });
    client = new SFNClient({ region: twin.app.env.region, endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
    stateMachineArn = twin.output('SlowArn');
  }, 300_000);

  afterAll(async () => {
    client?.destroy();
    await twin?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const start = (name: string, input: string) => client.send(new StartExecutionCommand({ stateMachineArn, name, input }));

  it('returns the running execution when its name and input are given again (idempotent start), without starting another', async () => {
    // GIVEN
    const first = await start('deploy-fraud-7', '{"version":7}');
    // WHEN
    const again = await start('deploy-fraud-7', '{"version":7}');
    // THEN
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    const { executions } = await client.send(new ListExecutionsCommand({ stateMachineArn }));
    expect(executions!.filter((e) => e.name === 'deploy-fraud-7')).toHaveLength(1);
  });

  it('refuses the name of a running execution with another input: ExecutionAlreadyExists', async () => {
    await start('deploy-fraud-8', '{"version":8}');
    await expect(start('deploy-fraud-8', '{"version":9}')).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('refuses the name of a stopped execution, even with the same input: ExecutionAlreadyExists', async () => {
    // GIVEN
    const { executionArn } = await start('deploy-fraud-10', '{"version":10}');
    await client.send(new StopExecutionCommand({ executionArn }));
    await twin.states.describe(executionArn!).done;
    // WHEN / THEN
    await expect(start('deploy-fraud-10', '{"version":10}')).rejects.toMatchObject({ name: 'ExecutionAlreadyExists', message: expect.stringContaining(executionArn!) });
  });

  it("accepts the names AWS accepts (dots, letters beyond ASCII) and refuses the others with InvalidName", async () => {
    await expect(start('fraud.v1-2_x', '{}')).resolves.toMatchObject({ executionArn: expect.stringMatching(/:fraud\.v1-2_x$/) });
    await expect(start('modèle-3', '{}')).resolves.toMatchObject({ executionArn: expect.stringMatching(/:modèle-3$/) });
    for (const name of ['a b', 'model/7', 'run:1', 'x'.repeat(81), 'tab\there']) {
      await expect(start(name, '{}'), name).rejects.toMatchObject({ name: 'InvalidName' });
    }
  });

  it('refuses input that is not JSON with InvalidExecutionInput, and a request without stateMachineArn with ValidationException', async () => {
    await expect(start('bad-input', '{"version":')).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: undefined as unknown as string }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('stateMachineArn'),
    });
  });
});
