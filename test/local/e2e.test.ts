import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LambdaClient, GetAliasCommand } from '@aws-sdk/client-lambda';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingSteps } from '../../console/src/lib/run-progress';
import type { StateMachineFlow, TwinState } from '../../contracts/twin-api';
import { runLoop, type LoopResult } from '../../local/driver/full-loop';
import { failedTrainingDrill, rollbackDrill } from '../../local/driver/fault-drills';
import { LoopSession } from '../../local/driver/loop-session';
import { teamDataset } from '../../local/driver/team-dataset';
import { LOCAL_CREDENTIALS } from '../../local/services/aws-environment';
import { startTeamTwin, type TeamTwin } from '../helpers/twin';

interface SynthesizedTemplate {
  Resources: Record<string, { Type: string; Properties: { DefinitionString: unknown } }>;
  Outputs: Record<string, { Value: unknown }>;
}

interface TemplateState {
  Type: string;
  Next?: string;
  Default?: string;
}

/**
 * The ASL of a state machine resource as synthesized: a DefinitionString, or an Fn::Join whose tokens (ARNs, names)
 * all sit inside JSON strings, so a placeholder keeps the JSON valid.
 */
function definitionOf(resource: { Properties: { DefinitionString: unknown } }): { StartAt: string; States: Record<string, TemplateState> } {
  const text = resource.Properties.DefinitionString;
  const join = (text as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  return JSON.parse(join ? join[1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(join[0]) : String(text));
}

/**
 * The whole loop through the twin, from the synthesized example stack: train -> register -> approve -> deploy ->
 * traffic -> drift -> alarm -> retraining -> a new version pending approval. Each step is then checked where the
 * platform keeps it: registry rows in DynamoDB, the alias in Lambda, metrics and alarm states in CloudWatch.
 */
describe('the platform loop in the local twin', () => {
  let team: TeamTwin;
  let session: LoopSession;
  let result: LoopResult;
  const lines: string[] = [];

  beforeAll(async () => {
    team = await startTeamTwin({ timeScale: 600 });
    session = new LoopSession(team.twin, team.config);
    result = await runLoop(session, { until: 'retrained', dataset: teamDataset(team.config, { rows: 8000 }), driftShift: 2, report: (line) => lines.push(line) });
  }, 900_000);

  afterAll(async () => {
    session?.close();
    await team?.stop();
  });

  const registryItems = async () => {
    const client = team.twin.dynamodb.client(team.twin.app.env.region);
    // The model's items, and its audit trail in its own partition.
    const partition = async (pk: string) =>
      (
        await client.send(
          new QueryCommand({ TableName: team.twin.output('RegistryTableName'), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } } }),
        )
      ).Items ?? [];
    try {
      const model = team.config.model.name;
      return [...(await partition(`MODEL#${model}`)), ...(await partition(`AUDIT#${model}`))].map((item) => unmarshall(item));
    } finally {
      client.destroy();
    }
  };

  it('registers, deploys and retires nothing on the way: v1 live, v2 pending approval, with the audit trail', async () => {
    const items = await registryItems();
    const version = (n: number) => items.find((i) => i.sk === `VERSION#${String(n).padStart(10, '0')}`);
    expect(result.trainedVersion).toBe(1);
    expect(version(1)?.status).toBe('live');
    expect(result.pendingVersion).toBe(2);
    expect(version(2)?.status).toBe('pending_approval');
    const transitions = items.filter((i) => String(i.sk).startsWith('AUDIT#') && i.version === 1).map((i) => `${i.from}->${i.to}`);
    expect(transitions).toEqual(expect.arrayContaining(['null->pending_approval', 'pending_approval->approved', 'approved->deploying', 'deploying->live']));
  });

  it('names the developer who requested the training run through the approval API as the registrant, and the approver apart', async () => {
    const items = await registryItems();
    const v1 = items.find((i) => i.sk === 'VERSION#0000000001');
    expect(v1?.createdBy).toMatch(/^pipeline:manual-\d{8}-\d{6}-[0-9a-f]{6}$/);
    expect(v1?.createdByPrincipal).toMatchObject({ subject: 'developers@localhost', email: 'developers@localhost' });
    const approval = items.find((i) => String(i.sk).startsWith('AUDIT#') && i.version === 1 && i.to === 'approved');
    expect(approval?.principal?.subject).not.toBe(v1?.createdByPrincipal.subject);
  });

  it('points the live alias at the function version the deployment published for v1, with no canary weight left', async () => {
    const lambda = new LambdaClient({ region: team.twin.app.env.region, endpoint: team.twin.url, credentials: LOCAL_CREDENTIALS });
    const alias = await lambda.send(new GetAliasCommand({ FunctionName: team.twin.output('InferenceFunctionName'), Name: team.twin.output('InferenceAliasName') }));
    lambda.destroy();
    const v1 = (await registryItems()).find((i) => i.sk === 'VERSION#0000000001');
    expect(alias.FunctionVersion).toBe(result.aliasVersion);
    expect(String(v1?.functionVersion)).toBe(alias.FunctionVersion);
    expect(alias.RoutingConfig?.AdditionalVersionWeights ?? {}).toEqual({});
  });

  it('counts every request through the live alias, and ingests the functions\' EMF metrics', () => {
    const total = (namespace: string, metricName: string, dimensions: Record<string, string>, stat = 'Sum') =>
      team.twin.metrics.query({ namespace, metricName, dimensions, stat, periodMs: 3_600_000 }, 0, Date.now() + 1).values.reduce((a, b) => a + b, 0);
    const fn = team.twin.output('InferenceFunctionName');
    const alias = { FunctionName: fn, Resource: `${fn}:${team.twin.output('InferenceAliasName')}` };
    expect(total('AWS/Lambda', 'Invocations', alias)).toBe(result.requestsSent);
    expect(total('AWS/Lambda', 'Errors', alias)).toBe(0);
    // The handler flushes its EMF metrics at most once a second, so the last requests may still be buffered.
    expect(total(`MLOps/${team.config.team}`, 'Invocations', { Model: team.config.model.name })).toBeGreaterThan(0);
    expect(total(`MLOps/${team.config.team}`, 'DriftedFeatureShare', { Model: team.config.model.name }, 'Maximum')).toBeGreaterThanOrEqual(team.config.drift.driftedFeatureShare);
  });

  it('raised the drift alarm, which started the retraining execution through the rule and the trigger', () => {
    const driftAlarm = team.twin.alarms.definitions.find((a) => a.metrics.some((m) => m.metricName === 'DriftedFeatureShare'));
    expect(driftAlarm).toBeDefined();
    expect(result.alarmsRaised).toContain(driftAlarm!.name);
    expect(result.retrainExecution).toMatch(/^drift-/);
    const alarmEvents = team.twin.events.recent.filter((r) => r.event.source === 'aws.cloudwatch' && r.event.resources.includes(driftAlarm!.arn));
    expect(alarmEvents.some((r) => (r.event.detail as { state: { value: string } }).state.value === 'ALARM' && r.matchedRules.length > 0)).toBe(true);
  });

  it('records a failed training run in the registry when the dataset is missing', async () => {
    // WHEN a run names a dataset prefix with nothing under it
    const execution = await failedTrainingDrill(session, 'missing-dataset');
    // THEN the processing job fails the run, and the failure is recorded as a run outcome in the registry
    expect(execution.status).toBe('FAILED');
    expect(execution.events.some((e) => e.type === 'StateFailed' && e.state === 'Process')).toBe(true);
    expect((await registryItems()).find((i) => i.sk === 'RUN#missing-dataset')).toBeDefined();
  });

  it('rolls back a deployment whose holdout check fails, leaving the live version serving', async () => {
    // GIVEN the live alias before, WHEN a new version is approved with its model archive corrupted
    const aliasBefore = session.liveAlias().version;
    const { version, execution: deployment } = await rollbackDrill(session);
    // THEN the deployment fails at the holdout check, rolls back, and the alias stays on the live version
    const entered = deployment.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
    expect(entered).toEqual(expect.arrayContaining(['HoldoutCheck', 'Rollback']));
    expect(entered).not.toContain('Promote');
    const rolledBack = await session.waitForVersion('rollback', (v) => v.version === version && v.status === 'rolled_back', 60_000);
    expect(rolledBack.status).toBe('rolled_back');
    expect(session.liveAlias()).toEqual({ version: aliasBefore, routing: {} });
  });

  it('runs all of this without the runtime naming any of the template\'s resources or outputs', () => {
    // The runtime (everything but the driver, which finds resources through outputs) must stay generic over types.
    const runtime = join(__dirname, '..', '..', 'local');
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? (entry.name === 'driver' ? [] : sources(join(dir, entry.name))) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
      );
    const text = sources(runtime).map((file) => readFileSync(file, 'utf8')).join('\n');
    const template = team.twin.app.stacks[0].stack.template;
    // CloudFormation's own property names (an output may be called EventBusName too) are the types' vocabulary.
    const propertyNames = new Set<string>();
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value && typeof value === 'object') for (const [key, inner] of Object.entries(value)) {
        propertyNames.add(key);
        collect(inner);
      }
    };
    collect(Object.values(template.Resources).map((r) => r.Properties));
    const names = [...Object.keys(template.Resources), ...Object.keys(template.Outputs ?? {}), team.config.model.name, team.config.team];
    expect(names.filter((name) => !propertyNames.has(name) && text.includes(name))).toEqual([]);
  });

  const trainingFlow = async (): Promise<StateMachineFlow> => {
    const name = team.twin.output('TrainingStateMachineArn').split(':').at(-1);
    const state = (await (await fetch(`${team.twin.url}/twin/state`)).json()) as TwinState;
    const flow = state.stateMachines.find((machine) => machine.name === name);
    expect(flow, `no flow for ${name} in /twin/state`).toBeDefined();
    return flow!;
  };

  it("gives the console the training pipeline's top-level states and transitions as its synthesized definition has them", async () => {
    const template = JSON.parse(readFileSync(join(team.cdkOut, `Mlops-${team.config.team}.template.json`), 'utf8')) as SynthesizedTemplate;
    const logicalId = (template.Outputs.TrainingStateMachineArn.Value as { Ref: string }).Ref;
    const definition = definitionOf(template.Resources[logicalId]);
    const flow = await trainingFlow();
    expect(flow.startAt).toBe(definition.StartAt);
    expect(Object.keys(flow.states)).toEqual(Object.keys(definition.States));
    expect(flow.states).toEqual(Object.fromEntries(Object.entries(definition.States).map(([name, s]) => [name, { type: s.Type, next: s.Next, default: s.Default }])));
    const machines = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::StepFunctions::StateMachine');
    const state = (await (await fetch(`${team.twin.url}/twin/state`)).json()) as TwinState;
    expect(state.stateMachines).toHaveLength(machines.length);
  });

  it('shows the console a pipeline that has just started with no failure branch ahead', async () => {
    const flow = await trainingFlow();
    const execution = { status: 'RUNNING' as const };
    const ahead = pendingSteps(execution, [{ name: flow.startAt, status: 'running', enteredAt: 0, retries: 0 }], flow);
    expect(ahead.length).toBeGreaterThan(0);
    expect(ahead.filter((step) => flow.states[step.name].type === 'Fail')).toEqual([]);
  });
});
