import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The context of cdk.json (feature flags), without its team selection: test apps synthesize the team stack with
 * the flags `cdk synth` uses, so the templates the tests and the twin check are the ones that would be deployed.
 */
export function projectContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const { team: _team, ...flags } = cdkJson.context ?? {};
  return flags;
}
