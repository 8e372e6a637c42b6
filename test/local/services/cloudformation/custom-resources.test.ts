import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CfnOutput, CustomResource, Duration, type Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../../../local/services/aws-environment';
import { Twin } from '../../../../local/twin';
import { synthesize } from '../../support/synth';

/** Logs each event; FAILED when Fail is yes; a new PhysicalResourceId on update when NewId is yes; no answer when Silent is yes. */
const PROVIDER_CODE = `exports.handler = async (event) => {
  console.log('CFN_EVENT ' + JSON.stringify(event));
  const p = event.ResourceProperties;
  if (p.Silent === 'yes') return;
  if (p.Crash === 'yes') throw new TypeError('cannot read the greeting');
  const fail = p.Fail === 'yes' && event.RequestType !== 'Delete';
  const physical = event.RequestType === 'Create' || p.NewId === 'yes' ? p.Name + '-' + p.Greeting : event.PhysicalResourceId;
  await fetch(event.ResponseURL, { method: 'PUT', body: JSON.stringify({
    Status: fail ? 'FAILED' : 'SUCCESS', Reason: fail ? 'the greeting ' + p.Greeting + ' was refused' : undefined,
    PhysicalResourceId: physical, StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId,
    Data: { Echo: p.Greeting },
  }) });
};`;

interface Resource {
  id: string;
  greeting: string;
  fail?: boolean;
  newId?: boolean;
  silent?: boolean;
  crash?: boolean;
  dependsOn?: string;
}

/** A stack of custom resources handled by one provider, a function whose environment marks the app's revision. */
function app(resources: Resource[], revision = 'one'): string {
  return synthesize((stack: Stack) => {
    const provider = new lambda.Function(stack, 'Provider', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline(PROVIDER_CODE), timeout: Duration.seconds(1) });
    const bystander = new lambda.Function(stack, 'Bystander', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1'), environment: { REVISION: revision } });
    new CfnOutput(stack, 'BystanderName', { value: bystander.functionName });
    const made = new Map<string, CustomResource>();
    // Declared in reverse so that template order is not dependency order.
    for (const r of [...resources].reverse()) {
      const resource = new CustomResource(stack, r.id, {
        serviceToken: provider.functionArn,
        resourceType: 'Custom::Greeting',
        properties: { Name: r.id, Greeting: r.greeting, Fail: r.fail ? 'yes' : 'no', NewId: r.newId ? 'yes' : 'no', Silent: r.silent ? 'yes' : 'no', Crash: r.crash ? 'yes' : 'no' },
      });
      made.set(r.id, resource);
      new CfnOutput(stack, `${r.id}Id`, { value: resource.ref });
    }
    for (const r of resources) if (r.dependsOn) made.get(r.id)!.node.addDependency(made.get(r.dependsOn)!);
  }, 'Greetings');
}

describe('custom resources in the twin', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'custom-resources-'));
  let events: Array<{ RequestType: string; LogicalResourceId: string; PhysicalResourceId?: string; ResourceProperties: Record<string, string> }> = [];
  let twin: Twin | undefined;
  const start = (cdkOut: string) =>
    Twin.start({
      cdkOut,
      dataDirectory: join(scratch, `data-${Date.now()}`),
      onFunctionLog: (_fn, _v, line) => {
        const at = line.indexOf('CFN_EVENT ');
        if (at >= 0) events.push(JSON.parse(line.slice(at + 'CFN_EVENT '.length)));
      },
    });
  const summary = () => events.map((e) => `${e.RequestType} ${e.LogicalResourceId.replace(/$/, '')} ${e.PhysicalResourceId ?? ''}`.trim());

  afterEach(async () => {
    await twin?.stop();
    twin = undefined;
    events = [];
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('creates custom resources in dependency order (DependsOn), not template order', async () => {
    twin = await start(app([{ id: 'First', greeting: 'a' }, { id: 'Second', greeting: 'b', dependsOn: 'First' }, { id: 'Third', greeting: 'c', dependsOn: 'Second' }]));
    expect(summary()).toEqual(['Create First', 'Create Second', 'Create Third']);
    expect(twin.output('ThirdId')).toBe('Third-c');
  });

  it('refuses to start, naming the resource and the reason, when a create answers FAILED, and deletes what it created', async () => {
    const cdkOut = app([{ id: 'Good', greeting: 'a' }, { id: 'Bad', greeting: 'b', fail: true, dependsOn: 'Good' }]);
    await expect(start(cdkOut)).rejects.toThrow(/^Greetings\/Bad: Create failed: the greeting b was refused$/);
    // CloudFormation's rollback of the creation: Delete for the failed one and the one created before it
    expect(summary()).toEqual(['Create Good', 'Create Bad', 'Delete Bad Bad-b', 'Delete Good Good-a']);
  });

  it('fails a create whose function throws without answering, with the function error as the reason', async () => {
    await expect(start(app([{ id: 'Crashing', greeting: 'a', crash: true }]))).rejects.toThrow(
      /Crashing: Create failed: the function failed without answering: TypeError: cannot read the greeting/,
    );
  });

  it('fails a create nobody answers once the function timeout and the margin have passed', async () => {
    const started = Date.now();
    await expect(start(app([{ id: 'Silent', greeting: 'a', silent: true }]))).rejects.toThrow(/Create failed: no response to the ResponseURL within 11 s/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(11_000);
  }, 60_000);

  describe('on a stack update', () => {
    let lambdaClient: LambdaClient;
    const revision = async () => {
      const config = await lambdaClient.send(new GetFunctionConfigurationCommand({ FunctionName: twin!.output('BystanderName') }));
      return config.Environment?.Variables?.REVISION;
    };
    it('replaces a resource whose Update answers a new PhysicalResourceId: Delete of the old one after the update', async () => {
      twin = await start(app([{ id: 'Mover', greeting: 'a' }]));
      await twin.update(app([{ id: 'Mover', greeting: 'b', newId: true }]));
      expect(summary()).toEqual(['Create Mover', 'Update Mover Mover-a', 'Delete Mover Mover-a']);
      expect(events[2].ResourceProperties.Greeting).toBe('a');
      expect(twin.output('MoverId')).toBe('Mover-b');
    });

    it('rolls the update back when an Update answers FAILED: the old properties sent back, the other resources restored', async () => {
      twin = await start(app([{ id: 'Stable', greeting: 'a' }]));
      lambdaClient = new LambdaClient({ region: 'us-east-1', endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
      // WHEN an update changes the bystander function, adds a resource and fails the existing one
      await expect(twin.update(app([{ id: 'Stable', greeting: 'b', fail: true }, { id: 'Added', greeting: 'n' }], 'two'))).rejects.toThrow(
        /the stack update failed and was rolled back \(UPDATE_ROLLBACK_COMPLETE\): Greetings\/Stable: Update failed: the greeting b was refused/,
      );
      // THEN the added resource was deleted, the failed one updated back; the function runs its old configuration
      expect(summary()).toEqual(['Create Stable', 'Create Added', 'Update Stable Stable-a', 'Update Stable Stable-a', 'Delete Added Added-n']);
      expect(events[3].ResourceProperties.Greeting).toBe('a');
      expect(await revision()).toBe('one');
      expect(twin.output('StableId')).toBe('Stable-a');
      lambdaClient.destroy();
    });
  });
});
