import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

/** Where twins write which states and transitions exist and which ran; .ci/run sets it (tools/state-coverage/state-coverage.ts reads it). */
export const STATE_COVERAGE_DIR_ENV = 'MLOPS_STATE_COVERAGE_DIR';

/**
 * One line of a coverage file: a state machine's states and transitions (`from -> to`: a Next, a Choice's branch or
 * default, a Catch), or a state an execution entered, or a transition it took.
 */
export type StateCoverageLine = { machine: string; defined: string[]; transitions?: string[] } | { machine: string; entered: string } | { machine: string; took: string };

/**
 * Which states and transitions of the team stacks' state machines the twins of this process defined, entered and took,
 * written as they happen (each fact once per process, one JSON line, so a test process that is killed has written what
 * it saw) to a file of its own in the directory that MLOPS_STATE_COVERAGE_DIR names. A machine is named by its logical
 * ID, which its construct path within its stack gives (`TrainingPipelineStateMachine` and a hash of the path): the
 * same machine of every team's stack, or of a test's stack that holds its construct alone at the same path, counts as
 * one. The twin writes what the team stacks' machines define, and what every execution enters and takes.
 * tools/state-coverage/state-coverage.ts names each state and transition no execution of the test run ran: each branch
 * of each state machine (the catches, the rollbacks) must run in the twin somewhere in the tests.
 */
export class StateCoverage {
  private readonly written = new Set<string>();

  private constructor(private readonly file: string) {}

  /** This process's recorder for the directory MLOPS_STATE_COVERAGE_DIR names, or undefined where it is not set. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): StateCoverage | undefined {
    const dir = env[STATE_COVERAGE_DIR_ENV];
    if (!dir) return undefined;
    let recorder = recorders.get(dir);
    if (!recorder) {
      mkdirSync(dir, { recursive: true });
      recorder = new StateCoverage(join(dir, `${process.pid}-${randomUUID()}.jsonl`));
      recorders.set(dir, recorder);
    }
    return recorder;
  }

  defined(machine: string, states: Iterable<string>, transitions: Iterable<string>): void {
    this.write(`defined ${machine}`, { machine, defined: [...states].sort(), transitions: [...transitions].sort() });
  }

  /** `state` entered, after `from` in the same flow (the execution's, or a Distributed Map child's) where one came first. */
  entered(machine: string, state: string, from?: string): void {
    this.write(`entered ${machine} ${state}`, { machine, entered: state });
    if (from !== undefined) this.write(`took ${machine} ${from} -> ${state}`, { machine, took: `${from} -> ${state}` });
  }

  private write(key: string, line: StateCoverageLine): void {
    if (this.written.has(key)) return;
    this.written.add(key);
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
}

/** This process's recorder of each directory. */
const recorders = new Map<string, StateCoverage>();
