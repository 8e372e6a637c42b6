import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StateCoverageLine } from '../../local/services/states/state-coverage';

/** Per state machine of the team stacks: the states its definitions have, and those the test run's executions entered. */
export interface MachineCoverage {
  readonly machine: string;
  readonly defined: readonly string[];
  readonly missed: readonly string[];
}

/**
 * The coverage the twins of a test run wrote (local/services/states/state-coverage.ts), merged: the team stacks'
 * machines, a state counting as defined if any team config's definition of the machine has it (a sharded Process step
 * adds MergeShards), as entered if any execution of any test entered it. Machines sorted by logical ID, states by name.
 */
export function readStateCoverage(dir: string): MachineCoverage[] {
  const defined = new Map<string, Set<string>>();
  const entered = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, machine: string, states: string[]) => {
    const set = map.get(machine) ?? new Set<string>();
    for (const state of states) set.add(state);
    map.set(machine, set);
  };
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.jsonl'))) {
    for (const text of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!text) continue;
      const line = JSON.parse(text) as StateCoverageLine;
      if ('defined' in line) add(defined, line.machine, line.defined);
      else add(entered, line.machine, [line.entered]);
    }
  }
  return [...defined]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([machine, states]) => {
      const sorted = [...states].sort();
      return { machine, defined: sorted, missed: sorted.filter((state) => !entered.get(machine)?.has(state)) };
    });
}

/** The report's lines: each machine's count, then each state no execution entered. */
export function coverageReport(coverage: readonly MachineCoverage[]): string[] {
  return coverage.flatMap(({ machine, defined, missed }) => [
    `${machine}: ${defined.length - missed.length} of ${defined.length} states entered`,
    ...missed.map((state) => `  never entered: ${state}`),
  ]);
}

// `tsx tools/state-coverage/state-coverage.ts <dir>`: the report; exit 1 when a state was never entered or none was recorded.
if (require.main === module) {
  const [dir] = process.argv.slice(2);
  if (!dir) throw new Error('usage: tsx tools/state-coverage/state-coverage.ts <MLOPS_STATE_COVERAGE_DIR of a test run>');
  const coverage = readStateCoverage(dir);
  for (const line of coverageReport(coverage)) console.log(line);
  const missed = coverage.reduce((sum, machine) => sum + machine.missed.length, 0);
  if (coverage.length === 0) console.log(`no state machine coverage in ${dir}: did the tests run with ${'MLOPS_STATE_COVERAGE_DIR'} set?`);
  else console.log(missed ? `${missed} states of the team stacks' state machines ran in no test` : "every state of the team stacks' state machines ran in a test");
  process.exitCode = coverage.length === 0 || missed > 0 ? 1 : 0;
}
