import type { Twin } from '../twin';

/**
 * Prints each execution's progress as it happens (states entered, failures, the outcome), labelled by the stack
 * output that names its state machine (`TrainingStateMachineArn` -> "training").
 */
export function watchExecutions(twin: Twin, print: (line: string) => void): () => void {
  const printed = new Map<string, number>();
  const labels = new Map<string, string>();
  for (const outputs of Object.values(twin.app.outputs())) {
    for (const [name, value] of Object.entries(outputs)) {
      if (name.endsWith('StateMachineArn')) labels.set(value, name.replace(/StateMachineArn$/, '').toLowerCase());
    }
  }
  return twin.states.onExecutionChange((execution) => {
    const label = labels.get(execution.stateMachineArn) ?? execution.stateMachineName;
    const from = printed.get(execution.executionArn) ?? 0;
    for (const event of execution.events.slice(from)) {
      if (event.type === 'StateEntered') print(`  ${label} ${execution.name} › ${event.state}`);
      if (event.type === 'StateFailed' || event.type === 'StateCaught') print(`  ${label} ${execution.name} › ${event.state} ${event.type === 'StateFailed' ? 'failed' : 'caught'} ${event.detail ?? ''}`.slice(0, 400));
    }
    printed.set(execution.executionArn, execution.events.length);
    if (execution.status !== 'RUNNING') {
      const outcome = execution.status === 'FAILED' ? `FAILED ${execution.error}: ${String(execution.cause).slice(0, 300)}` : execution.status;
      print(`  ${label} ${execution.name} ${outcome}`);
    }
  });
}
