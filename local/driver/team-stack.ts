import { CloudAssembly } from '../assembly/cloud-assembly';
import type { TeamConfig } from '../../contracts/team-config';
import type { Twin } from '../twin';

/**
 * The twin must run the stack of the team it was asked for: `cdk synth` without `-c team`, or `--no-synth` on a
 * cdk.out synthesized for another team (or from an older config), would train, deploy and send traffic to a model
 * the team's config does not describe.
 */
export class WrongStackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WrongStackError';
  }
}

/** The stack bin/app.ts synthesizes for a team. */
const teamStackName = (team: string) => `Mlops-${team}`;

/** Throws unless the cloud assembly in `cdkOut` holds the team's stack. */
export function checkAssemblyHasTeam(cdkOut: string, team: string): void {
  const stacks = CloudAssembly.read(cdkOut).stacks.map((s) => s.stackName);
  if (stacks.includes(teamStackName(team))) return;
  throw new WrongStackError(
    `${cdkOut} holds ${stacks.length ? `the stack ${stacks.join(', ')}` : 'no stack'}, not ${teamStackName(team)}: ` +
      `synthesize team ${team} (npm start -- --team ${team}, without --no-synth, or npx cdk synth -c team=${team})`,
  );
}

/** Throws unless the twin runs the team's stack and its inference function serves the config's model. */
export function checkTwinServes(twin: Twin, config: TeamConfig): void {
  const stacks = twin.app.stacks.map((s) => s.stackName);
  if (!stacks.includes(teamStackName(config.team))) {
    throw new WrongStackError(`the twin runs ${stacks.join(', ') || 'no stack'}, not ${teamStackName(config.team)} (team ${config.team})`);
  }
  const served = twin.lambda.state(twin.output('InferenceFunctionName')).latest.environment.MODEL_NAME;
  if (served !== config.model.name) {
    throw new WrongStackError(
      `${teamStackName(config.team)} in the twin serves model ${served}, but team ${config.team}'s config names ${config.model.name}: ` +
        `the cloud assembly is from an older config; synthesize again (without --no-synth)`,
    );
  }
}
