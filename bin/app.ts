import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { MlopsTeamStack } from '../lib/mlops-team-stack';
import { loadTeamConfig, TeamConfigError, type TeamConfig } from '../contracts/team-config';

/**
 * `cdk synth -c team=<name>`: one stack, `Mlops-<team>`, from pipelines/teams/<team>.json
 * (`-c teamsDir=<dir>` reads team configs from another directory).
 */
const app = new App();
const team = String(app.node.tryGetContext('team') ?? 'fraud');
const teamsDir = String(app.node.tryGetContext('teamsDir') ?? join(__dirname, '..', 'pipelines', 'teams'));
const file = join(teamsDir, `${team}.json`);

let config: TeamConfig;
try {
  config = loadTeamConfig(file);
} catch (err) {
  if (!(err instanceof TeamConfigError)) throw err;
  // A config mistake is the user's to fix: the problems, not a stack trace.
  console.error(err.message);
  process.exit(1);
}

new MlopsTeamStack(app, `Mlops-${config.team}`, {
  config,
  env: config.env.account || config.env.region ? { account: config.env.account, region: config.env.region } : undefined,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
