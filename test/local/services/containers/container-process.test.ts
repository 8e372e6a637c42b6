import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnOutput } from 'aws-cdk-lib';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynthesizedApp } from '../../../../local/assembly/synthesized-app';
import { localEntrypoint, runContainer } from '../../../../local/services/containers/container-process';
import { pythonEnvironmentsDirectory } from '../../../../local/services/python-environments';
import { DEFAULT_PYTHON } from '../../../../local/services/python-runtime';
import { readApp, synthesize } from '../../support/synth';

const FIXTURES = join(__dirname, '..', '..', 'fixtures');
/** A lock of nothing (the processing fixture imports only the standard library): one environment for all such images. */
const STDLIB_REQUIREMENTS = readFileSync(join(FIXTURES, 'python-processing-image', 'requirements.txt'), 'utf8');
/** numpy alone, the Python trainer fixture's lock. */
const NUMPY_REQUIREMENTS = readFileSync(join(FIXTURES, 'python-trainer-image', 'requirements.txt'), 'utf8');
const SKLEARN_IMAGE = join(FIXTURES, 'sklearn-image');

/** Build contexts written per test run: a Dockerfile with the given label lines and the files it names. */
const IMAGES: Record<string, { label: string; files: Record<string, string> }> = {
  Shell: { label: 'LABEL mlops.local-entrypoint="train.sh"', files: { 'train.sh': 'echo hi\n' } },
  Unlabelled: { label: '', files: { 'train.py': 'print("hi")\n' } },
  Stubborn: {
    label: 'LABEL mlops.local-entrypoint="stubborn.py"',
    files: {
      'stubborn.py': 'import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("ignoring SIGTERM")\ntime.sleep(60)\n',
      'requirements.txt': STDLIB_REQUIREMENTS,
    },
  },
  Progress: {
    label: 'LABEL mlops.local-entrypoint="progress.py"',
    files: { 'progress.py': 'import time\nprint("epoch 1 of 100")\ntime.sleep(60)\n', 'requirements.txt': STDLIB_REQUIREMENTS },
  },
  Undeclared: { label: 'LABEL mlops.local-entrypoint="train.py"', files: { 'train.py': 'print("hi")\n' } },
  Unpinned: {
    label: 'LABEL mlops.local-entrypoint="train.py"',
    files: { 'train.py': 'print("hi")\n', 'requirements.txt': '# numpy, any version\n\nnumpy>=1.26\n' },
  },
  UnknownSystemPackage: {
    label: 'LABEL mlops.local-entrypoint="train.py" mlops.local-system-packages="no_such_package"',
    files: { 'train.py': 'print("hi")\n', 'requirements.txt': STDLIB_REQUIREMENTS },
  },
  // The scikit-learn fixture's entry with requirements that do not declare scikit-learn.
  SklearnUndeclared: {
    label: 'LABEL mlops.local-entrypoint="predict.py"',
    files: { 'predict.py': readFileSync(join(SKLEARN_IMAGE, 'predict.py'), 'utf8'), 'requirements.txt': NUMPY_REQUIREMENTS },
  },
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
      new CfnOutput(stack, 'SklearnDeclared', { value: new DockerImageAsset(stack, 'SklearnDeclaredImage', { directory: SKLEARN_IMAGE }).imageUri });
    });
    app = readApp(outdir);
    uris = Object.values(app.outputs())[0];
  }, 120_000);

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('refuses an entry file of another kind, listing the kinds it runs', async () => {
    await expect(localEntrypoint(app.assembly, uris.Shell)).rejects.toThrow(/LABEL mlops\.local-entrypoint="train\.sh" in .*Dockerfile: the twin runs \.ts or \.py entry files, not "\.sh"$/);
  });

  it('refuses a Dockerfile without the label, saying what to add', async () => {
    await expect(localEntrypoint(app.assembly, uris.Unlabelled)).rejects.toThrow(
      /Dockerfile has no LABEL mlops\.local-entrypoint="<entry file>" \(a \.ts or \.py file relative to the Dockerfile's directory\), so the twin cannot run it as a local process$/,
    );
  });

  it('delivers a Python line while the process still runs (unbuffered), then stops it when asked', async () => {
    const stop = new AbortController();
    const lines: string[] = [];

    const run = await runContainer(await localEntrypoint(app.assembly, uris.Progress), {
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

    const run = await runContainer(await localEntrypoint(app.assembly, uris.Stubborn), {
      env: {},
      signal: stop.signal,
      stopGraceMs: 300,
      onLine: () => stop.abort(),
    });

    expect(run).toMatchObject({ signal: 'SIGKILL', exitCode: 137, tail: ['ignoring SIGTERM'] });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  describe('a Python image runs in the virtual environment of its requirements.txt', () => {
    it('refuses a Python image without requirements.txt, saying to declare its dependencies and install them in the Dockerfile', async () => {
      await expect(localEntrypoint(app.assembly, uris.Undeclared)).rejects.toMatchObject({
        name: 'ContainerImageError',
        message: expect.stringMatching(
          /its local entrypoint .*train\.py is a Python file, and .* has no requirements\.txt\. Declare the image's dependencies there, every line name==version, transitive dependencies included .* and install them in the Dockerfile \(COPY requirements\.txt \. then RUN pip install --no-cache-dir -r requirements\.txt\)/,
        ),
      });
    });

    it('refuses requirements with an unpinned line, naming the file and line', async () => {
      await expect(localEntrypoint(app.assembly, uris.Unpinned)).rejects.toMatchObject({
        name: 'ContainerImageError',
        message: expect.stringMatching(/^image .*: .*\/requirements\.txt:3: "numpy>=1\.26" is not pinned: every requirement must be name==version/),
        cause: { name: 'UnpinnedRequirementError', line: 3 },
      });
    });

    it('refuses a system package label naming a package Debian does not have', async () => {
      await expect(localEntrypoint(app.assembly, uris.UnknownSystemPackage)).rejects.toMatchObject({
        name: 'ContainerImageError',
        message: expect.stringContaining('system package "no_such_package"'),
        cause: { code: 'SystemPackageMissing' },
      });
    });

    it('fails an entry that imports a package its requirements do not declare, though the machine has it', async () => {
      execFileSync(DEFAULT_PYTHON, ['-c', 'import sklearn']); // Debian's python3-sklearn: the machine has it

      const entrypoint = await localEntrypoint(app.assembly, uris.SklearnUndeclared);
      const run = await runContainer(entrypoint, { env: {} });

      expect(entrypoint.program.startsWith(pythonEnvironmentsDirectory())).toBe(true);
      expect(run.exitCode).toBe(1);
      expect(run.tail.at(-1)).toBe("ModuleNotFoundError: No module named 'sklearn'");
    });

    it('runs the same entry when its requirements declare scikit-learn', async () => {
      const run = await runContainer(await localEntrypoint(app.assembly, uris.SklearnDeclared), { env: {} });

      expect(run).toMatchObject({ exitCode: 0, tail: ['accuracy 1.00'] });
    });
  });
});
