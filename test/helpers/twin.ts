import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TeamConfig } from '../../contracts/team-config';
import { Twin } from '../../local/twin';
import { exampleConfig } from './synth';
import { teamAssembly } from './team-assembly';

export interface TeamTwin {
  readonly twin: Twin;
  readonly config: TeamConfig;
  /** The shared, read-only cloud assembly the twin runs (test/helpers/team-assembly.ts). */
  readonly cdkOut: string;
  stop(): Promise<void>;
}

/**
 * Starts the twin on the example team's cloud assembly (or that of `config`), synthesized as bin/app.ts does and
 * shared with every other test file that runs the same config, with fresh data of its own.
 */
export async function startTeamTwin(options: { timeScale: number; config?: TeamConfig; stateFile?: string }): Promise<TeamTwin> {
  const scratch = mkdtempSync(join(tmpdir(), 'team-twin-'));
  const config = options.config ?? exampleConfig();
  const cdkOut = await teamAssembly(config);
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
