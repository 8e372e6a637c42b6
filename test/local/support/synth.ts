import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { CloudAssembly } from '../../../local/assembly/cloud-assembly';
import { SynthesizedApp } from '../../../local/assembly/synthesized-app';
import type { Environment } from '../../../local/assembly/resource-identity';

export const TEST_ENV: Environment = {
  region: 'eu-west-1',
  accountId: '000000000000',
  partition: 'aws',
  urlSuffix: 'amazonaws.com',
  twinUrl: 'http://127.0.0.1:1',
};

/** Synthesizes a small real CDK stack into a temporary cloud assembly, so the twin reads a real template. */
export function synthesize(build: (stack: Stack) => void, stackName = 'TestStack'): string {
  const outdir = mkdtempSync(join(tmpdir(), 'twin-cdk-'));
  const app = new App({ outdir });
  build(new Stack(app, stackName));
  app.synth();
  return outdir;
}

export function readApp(outdir: string, env: Environment = TEST_ENV): SynthesizedApp {
  return new SynthesizedApp(CloudAssembly.read(outdir), env);
}
