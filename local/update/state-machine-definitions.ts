import type { SynthesizedApp } from '../assembly/synthesized-app';
import type { Clock } from '../clock';
import type { Timeline } from '../timeline';
import { StateMachines } from '../services/states/state-machines';

/**
 * A stack update of AWS::StepFunctions::StateMachine: every definition is read again from the new templates and
 * replaces the one served (CloudFormation updates a state machine in place). An execution that is running keeps
 * the definition it started with, as in Step Functions; new executions get the new one. The definitions are parsed
 * by a StateMachines of the new app, so they are read exactly as at start.
 */
export function reconcileStateMachines(machines: StateMachines, app: SynthesizedApp, clock: Clock, timeline: Timeline): void {
  const parsed = new StateMachines(app, clock, timeline).machines;
  for (const arn of [...machines.machines.keys()]) if (!parsed.has(arn)) machines.machines.delete(arn);
  for (const [arn, definition] of parsed) machines.machines.set(arn, definition);
}
