import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StateCoverageLine } from '../../local/services/states/state-coverage';

/** Per state machine of the team stacks: the states its definitions have, and those the test run's executions entered. */
export interface MachineCoverage {
  readonly machine: string;
  readonly defined: readonly string[];
  readonly missed: readonly string[];
  /** `from -> to`: each Next, Choice branch and default, and Catch of the machine's flows. */
  readonly transitions: readonly string[];
  readonly untaken: readonly string[];
}

/**
 * The coverage the twins of a test run wrote (local/services/states/state-coverage.ts), merged: the team stacks'
 * machines, a state counting as defined if any team config's definition of the machine has it (a sharded Process step
 * adds MergeShards), as entered if any execution of any test entered it. Machines sorted by logical ID, states by name.
 */
export function readStateCoverage(dir: string): MachineCoverage[] {
  const defined = new Map<string, Set<string>>();
  const transitions = new Map<string, Set<string>>();
  const entered = new Map<string, Set<string>>();
  const taken = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, machine: string, items: readonly string[]) => {
    const set = map.get(machine) ?? new Set<string>();
    for (const item of items) set.add(item);
    map.set(machine, set);
  };
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.jsonl'))) {
    for (const text of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!text) continue;
      const line = JSON.parse(text) as StateCoverageLine;
      if ('defined' in line) {
        add(defined, line.machine, line.defined);
        add(transitions, line.machine, line.transitions ?? []);
      } else if ('entered' in line) add(entered, line.machine, [line.entered]);
      else add(taken, line.machine, [line.took]);
    }
  }
  const sorted = (set: Set<string> | undefined) => [...(set ?? [])].sort();
  return [...defined.keys()].sort().map((machine) => {
    const states = sorted(defined.get(machine));
    const edges = sorted(transitions.get(machine));
    return {
      machine,
      defined: states,
      missed: states.filter((state) => !entered.get(machine)?.has(state)),
      transitions: edges,
      untaken: edges.filter((edge) => !taken.get(machine)?.has(edge)),
    };
  });
}

/** The report's lines: each machine's counts, then each state no execution entered and each transition none took. */
export function coverageReport(coverage: readonly MachineCoverage[]): string[] {
  return coverage.flatMap(({ machine, defined, missed, transitions, untaken }) => [
    `${machine}: ${defined.length - missed.length} of ${defined.length} states entered, ${transitions.length - untaken.length} of ${transitions.length} transitions taken`,
    ...missed.map((state) => `  never entered: ${state}`),
    ...untaken.map((transition) => `  never taken: ${transition}`),
  ]);
}

// `tsx tools/state-coverage/state-coverage.ts <dir>`: the report; exit 1 when a state or transition was never
// entered or taken, or nothing was recorded.
if (require.main === module) {
  const [dir] = process.argv.slice(2);
  if (!dir) throw new Error('usage: tsx tools/state-coverage/state-coverage.ts <MLOPS_STATE_COVERAGE_DIR of a test run>');
  const coverage = readStateCoverage(dir);
  for (const line of coverageReport(coverage)) console.log(line);
  const missed = coverage.reduce((sum, machine) => sum + machine.missed.length, 0);
  const untaken = coverage.reduce((sum, machine) => sum + machine.untaken.length, 0);
  if (coverage.length === 0) console.log(`no state machine coverage in ${dir}: did the tests run with MLOPS_STATE_COVERAGE_DIR set?`);
  else if (missed + untaken > 0) console.log(`${missed} states and ${untaken} transitions of the team stacks' state machines ran in no test`);
  else console.log("every state and transition of the team stacks' state machines ran in a test");
  process.exitCode = coverage.length === 0 || missed + untaken > 0 ? 1 : 0;
}
