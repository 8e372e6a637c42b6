import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { loadTeamConfig, type TeamConfig } from '../../contracts/team-config';
import { runLoop, type LoopResult } from '../../local/driver/full-loop';
import { LoopSession } from '../../local/driver/loop-session';
import { teamDataset } from '../../local/driver/team-dataset';
import { startTeamTwin, type TeamTwin } from './twin';

const ROOT = join(__dirname, '..', '..');
const PYTHON = process.env.MLOPS_PYTHON ?? '/usr/bin/python3';
const ROWS = 6000;

/** One worked example's whole loop, run once for a test file; its parts are set when the file's beforeAll has run. */
export interface ExampleTeamLoop {
  readonly config: TeamConfig;
  /** A directory of the file's own, removed after it. */
  readonly scratch: string;
  team: TeamTwin;
  session: LoopSession;
  result: LoopResult;
}

/**
 * Registers the file's beforeAll/afterAll for a worked example (examples/<team>/), as a team would run it: its data
 * made by its own make_dataset.py, its stack from pipelines/teams/<team>.json in a twin at x600, then
 * train -> approve -> deploy -> traffic -> drift (every numeric feature shifted by 2 standard deviations) ->
 * retraining -> a new version pending approval. The loop's timeline is printed after the file, for whoever reads the
 * output of a failed run.
 */
export function exampleTeamLoop(team: string, options: { datasetFile: string; seed: number }): ExampleTeamLoop {
  const loop = {
    config: loadTeamConfig(join(ROOT, 'pipelines', 'teams', `${team}.json`)),
    scratch: mkdtempSync(join(tmpdir(), `${team}-e2e-`)),
  } as ExampleTeamLoop;
  const lines: string[] = [];

  beforeAll(async () => {
    const dataset = join(loop.scratch, options.datasetFile);
    execFileSync(PYTHON, [join(ROOT, 'examples', team, 'make_dataset.py'), '--rows', String(ROWS), '--seed', String(options.seed), '--out', dataset]);
    loop.team = await startTeamTwin({ timeScale: 600, config: loop.config });
    loop.session = new LoopSession(loop.team.twin, loop.config);
    loop.result = await runLoop(loop.session, {
      until: 'retrained',
      dataset: teamDataset(loop.config, { file: dataset, rows: ROWS }),
      driftShift: 2,
      report: (line) => lines.push(line),
    });
  }, 900_000);

  afterAll(async () => {
    console.log(lines.join('\n'));
    loop.session?.close();
    await loop.team?.stop();
    rmSync(loop.scratch, { recursive: true, force: true });
  });

  return loop;
}
