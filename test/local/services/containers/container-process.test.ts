import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnOutput } from 'aws-cdk-lib';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynthesizedApp } from '../../../../local/assembly/synthesized-app';
import { localEntrypoint, runContainer } from '../../../../local/services/containers/container-process';
import { readApp, synthesize } from '../../support/synth';

/** Build contexts written per test run: a Dockerfile with the given label line and the files it names. */
const IMAGES: Record<string, { label: string; files: Record<string, string> }> = {
  Shell: { label: 'LABEL mlops.local-entrypoint="train.sh"', files: { 'train.sh': 'echo hi\n' } },
  Unlabelled: { label: '', files: { 'train.py': 'print("hi")\n' } },
  Stubborn: {
    label: 'LABEL mlops.local-entrypoint="stubborn.py"',
    files: { 'stubborn.py': 'import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("ignoring SIGTERM")\ntime.sleep(60)\n' },
  },
  Progress: { label: 'LABEL mlops.local-entrypoint="progress.py"', files: { 'progress.py': 'import time\nprint("epoch 1 of 100")\ntime.sleep(60)\n' } },
};

describe('container images run as local processes', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'container-process-'));
  let app: SynthesizedApp;
  let uris: Record<string, string>;

  beforeAll(() => {
    const outdir = synthesize((stack) => {
      for (const [id, image] of Object.entries(IMAGES)) {
        const directory = join(scratch, id);
        mkdirSync(directory);
        writeFileSync(join(directory, 'Dockerfile'), `FROM python:3.11-slim\n${image.label}\n`);
        for (const [file, text] of Object.entries(image.files)) writeFileSync(join(directory, file), text);
        new CfnOutput(stack, id, { value: new DockerImageAsset(stack, `${id}Image`, { directory }).imageUri });
      }
    });
    app = readApp(outdir);
    uris = Object.values(app.outputs())[0];
  }, 120_000);

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('refuses an entry file of another kind, listing the kinds it runs', () => {
    expect(() => localEntrypoint(app.assembly, uris.Shell)).toThrow(/LABEL mlops\.local-entrypoint="train\.sh" in .*Dockerfile: the twin runs \.ts or \.py entry files, not "\.sh"$/);
  });

  it('refuses a Dockerfile without the label, saying what to add', () => {
    expect(() => localEntrypoint(app.assembly, uris.Unlabelled)).toThrow(
      /Dockerfile has no LABEL mlops\.local-entrypoint="<entry file>" \(a \.ts or \.py file relative to the Dockerfile's directory\), so the twin cannot run it as a local process$/,
    );
  });

  it('delivers a Python line while the process still runs (unbuffered), then stops it when asked', async () => {
    const stop = new AbortController();
    const lines: string[] = [];

    const run = await runContainer(localEntrypoint(app.assembly, uris.Progress), {
      env: {},
      signal: stop.signal,
      onLine: (line) => (lines.push(line), stop.abort()),
    });

    expect(lines).toEqual(['epoch 1 of 100']);
    expect(run).toMatchObject({ signal: 'SIGTERM', exitCode: 143 });
  });

  it('kills a process that ignores SIGTERM once the stop grace period is over', async () => {
    const stop = new AbortController();
    const started = Date.now();

    const run = await runContainer(localEntrypoint(app.assembly, uris.Stubborn), {
      env: {},
      signal: stop.signal,
      stopGraceMs: 300,
      onLine: () => stop.abort(),
    });

    expect(run).toMatchObject({ signal: 'SIGKILL', exitCode: 137, tail: ['ignoring SIGTERM'] });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
