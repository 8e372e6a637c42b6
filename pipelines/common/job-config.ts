import { readFileSync } from 'node:fs';
import { parseTeamConfig, type TeamConfig } from '../../contracts/team-config';

/** The team config a job was given: inline JSON in TEAM_CONFIG, or a file named by TEAM_CONFIG_FILE. */
export function teamConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TeamConfig {
  if (env.TEAM_CONFIG) {
    let raw: unknown;
    try {
      raw = JSON.parse(env.TEAM_CONFIG);
    } catch (err) {
      throw new Error(`TEAM_CONFIG is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    return parseTeamConfig(raw, 'TEAM_CONFIG');
  }
  if (env.TEAM_CONFIG_FILE) return parseTeamConfig(JSON.parse(readFileSync(env.TEAM_CONFIG_FILE, 'utf8')), env.TEAM_CONFIG_FILE);
  throw new Error('Environment variable TEAM_CONFIG (or TEAM_CONFIG_FILE) is required');
}

/** Error text on one line, for a job's last words on stderr (Batch shows the tail of the log). */
export const oneLine = (err: unknown) =>
  `${err instanceof Error ? err.name : 'Error'}: ${err instanceof Error ? err.message : String(err)}`.replace(/\s*\n\s*/g, '; ');
