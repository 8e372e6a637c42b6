import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingSteps } from '../../local/console/src/lib/run-progress';
import type { StateMachineFlow, TwinState } from '../../local/console/src/lib/twin-types';
import { startTeamTwin, type TeamTwin } from '../helpers/twin';

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

describe('GET /twin/state', () => {
  let team: TeamTwin;
  let state: TwinState;
  let template: { Resources: Record<string, { Type: string; Properties: { DefinitionString: unknown } }>; Outputs: Record<string, { Value: unknown }> };

  beforeAll(async () => {
    team = await startTeamTwin({ timeScale: 60 });
    state = (await (await fetch(`${team.twin.url}/twin/state`)).json()) as TwinState;
    template = JSON.parse(readFileSync(join(team.cdkOut, `Mlops-${team.config.team}.template.json`), 'utf8'));
  }, 300_000);

  afterAll(async () => {
    await team?.stop();
  });

  const trainingFlow = (): StateMachineFlow => {
    const name = team.twin.output('TrainingStateMachineArn').split(':').at(-1);
    const flow = state.stateMachines.find((machine) => machine.name === name);
    expect(flow, `no flow for ${name} in /twin/state`).toBeDefined();
    return flow!;
  };

  it("gives the training pipeline's top-level states and transitions as its synthesized definition has them", () => {
    const logicalId = (template.Outputs.TrainingStateMachineArn.Value as { Ref: string }).Ref;
    const definition = definitionOf(template.Resources[logicalId]);
    const flow = trainingFlow();
    expect(flow.startAt).toBe(definition.StartAt);
    expect(Object.keys(flow.states)).toEqual(Object.keys(definition.States));
    expect(flow.states).toEqual(Object.fromEntries(Object.entries(definition.States).map(([name, s]) => [name, { type: s.Type, next: s.Next, default: s.Default }])));
    const machines = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::StepFunctions::StateMachine');
    expect(state.stateMachines).toHaveLength(machines.length);
  });

  it('shows a pipeline that has just started no failure branch ahead', () => {
    const flow = trainingFlow();
    const execution = { status: 'RUNNING' };
    const ahead = pendingSteps(execution, [{ name: flow.startAt, status: 'running', enteredAt: 0, retries: 0 }], flow);
    expect(ahead.length).toBeGreaterThan(0);
    expect(ahead.filter((step) => flow.states[step.name].type === 'Fail')).toEqual([]);
  });
});
