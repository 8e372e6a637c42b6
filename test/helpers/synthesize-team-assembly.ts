import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { MlopsTeamStack } from '../../lib/mlops-team-stack';
import { parseTeamConfig } from '../../contracts/team-config';
import { projectContext } from './project-context';

/**
 * `node --import tsx test/helpers/synthesize-team-assembly.ts <outdir>`, the team config as JSON on stdin: writes the
 * team's cloud assembly (stack `Mlops-<team>`, as bin/app.ts names it) to `outdir`. A process of its own, so the test
 * worker that waits for it keeps answering vitest (a synchronous synthesis of a minute or more, on a busy machine,
 * outlasts vitest's 60 s RPC timeout).
 */
const outdir = process.argv[2];
if (!outdir) throw new Error('usage: synthesize-team-assembly.ts <outdir> < team-config.json');
const config = parseTeamConfig(JSON.parse(readFileSync(0, 'utf8')));
const app = new App({ outdir, context: projectContext() });
new MlopsTeamStack(app, `Mlops-${config.team}`, { config });
app.synth();
