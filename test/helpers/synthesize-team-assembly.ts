import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { MlopsTeamStack } from '../../lib/mlops-team-stack';
import { parseTeamConfig } from '../../contracts/team-config';
import { projectContext } from './project-context';
import { SYNTHESIZED, synthesisJobsSchema } from './team-assembly';

/**
 * `node --import tsx test/helpers/synthesize-team-assembly.ts`, the jobs as JSON on stdin (synthesisJobsSchema): writes
 * each team's cloud assembly (stack `Mlops-<team>`, as bin/app.ts names it) to its `outdir`, one after another, and
 * says so on stdout (`synthesized <index>`) as each is done. A process of its own, so the test worker that waits for it
 * keeps answering vitest (a synchronous synthesis of a minute or more, on a busy machine, outlasts vitest's 60 s RPC
 * timeout); one for several teams, so each function is bundled once (bundleFunction keeps the bundles it built).
 */
const jobs = synthesisJobsSchema.parse(JSON.parse(readFileSync(0, 'utf8')));
jobs.forEach(({ config: input, outdir }, index) => {
  const config = parseTeamConfig(input);
  const app = new App({ outdir, context: projectContext() });
  new MlopsTeamStack(app, `Mlops-${config.team}`, { config });
  app.synth();
  process.stdout.write(`${SYNTHESIZED} ${index}\n`);
});
