import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { MlopsTeamStack } from '../../lib/mlops-team-stack';
import type { TeamConfig } from '../../lib/team-config';
import { Twin } from '../../local/twin';
import { exampleConfig } from './synth';
import { projectContext } from './project-context';

export interface TeamTwin {
  readonly twin: Twin;
  readonly config: TeamConfig;
  readonly cdkOut: string;
  stop(): Promise<void>;
}

/**
 * Synthesizes the example team stack (as bin/app.ts does) into a temporary cloud assembly and starts the twin on it,
 * with fresh data. Synthesis bundles every function: start one per test file, in `beforeAll`.
 */
export async function startTeamTwin(options: { timeScale: number; config?: TeamConfig; stateFile?: string }): Promise<TeamTwin> {
  const scratch = mkdtempSync(join(tmpdir(), 'team-twin-'));
  const config = options.config ?? exampleConfig();
  const cdkOut = synthesizeTeamAssembly(config, join(scratch, 'cdk.out'));
  const twin = await Twin.start({ cdkOut, dataDirectory: join(scratch, 'data'), timeScale: options.timeScale, stateFile: options.stateFile });
  return {
    twin,
    config,
    cdkOut,
    stop: async () => {
      await twin.stop();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** Writes the team's cloud assembly (stack `Mlops-<team>`, as bin/app.ts names it) to `outdir`; returns `outdir`. */
export function synthesizeTeamAssembly(config: TeamConfig, outdir: string): string {
  const app = new App({ outdir, context: projectContext() });
  new MlopsTeamStack(app, `Mlops-${config.team}`, { config });
  app.synth();
  return outdir;
}
