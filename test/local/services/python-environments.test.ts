import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPLETE_MARKER } from '../../../local/services/build-once';
import { ensurePythonEnvironment, type PythonEnvironment, pythonEnvironmentsDirectory } from '../../../local/services/python-environments';
import { DEFAULT_PYTHON } from '../../../local/services/python-runtime';
import { TSX_IMPORT } from '../../../local/services/typescript-runtime';

const ROOT = join(__dirname, '..', '..', '..');
/** The PyTorch example's lock: numpy and what Debian's torch 1.13 imports, torch itself through the exception label. */
const TORCH_IMAGE_REQUIREMENTS = join(ROOT, 'examples', 'maintenance', 'trainer', 'requirements.txt');
/** numpy alone (the Python trainer fixture's lock). */
const NUMPY_REQUIREMENTS = join(ROOT, 'test', 'local', 'fixtures', 'python-trainer-image', 'requirements.txt');
/** A small complete lock: python-dateutil depends on six. */
const DATEUTIL_LOCK = 'python-dateutil==2.9.0.post0\nsix==1.17.0\n';

async function pythonRun(python: string, code: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(python, ['-c', code]);
    return { ok: true, output: stdout.trim() };
  } catch (err) {
    return { ok: false, output: String((err as { stderr?: string }).stderr).trim() };
  }
}

/** ensurePythonEnvironment in another process (as a second vitest worker or twin would call it), with its lines. */
async function inAnotherProcess(script: string, requirementsFile: string, cacheDirectory: string): Promise<{ lines: string[]; environment: PythonEnvironment }> {
  const child = spawn(process.execPath, ['--import', TSX_IMPORT, script, requirementsFile], {
    env: { ...process.env, MLOPS_CACHE_DIR: cacheDirectory },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(exitCode).toBe(0);
  return { lines: lines.slice(0, -1), environment: JSON.parse(lines.at(-1)!) as PythonEnvironment };
}

describe('a Python environment made from a requirements file', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'python-environments-'));
  const requirements = (name: string, text: string) => {
    const file = join(scratch, name);
    writeFileSync(file, text);
    return file;
  };
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  describe('in a cache of its own', () => {
    const cacheDirectory = join(scratch, 'cache');
    const previous = process.env.MLOPS_CACHE_DIR;
    beforeAll(() => {
      process.env.MLOPS_CACHE_DIR = cacheDirectory;
    });
    afterAll(() => {
      if (previous === undefined) delete process.env.MLOPS_CACHE_DIR;
      else process.env.MLOPS_CACHE_DIR = previous;
    });

    it('refuses an unpinned line, naming the file and line, before building anything', async () => {
      const file = requirements('unpinned.txt', 'six==1.17.0\npython-dateutil\n');

      await expect(ensurePythonEnvironment({ requirementsFile: file })).rejects.toMatchObject({
        name: 'UnpinnedRequirementError',
        message: expect.stringMatching(new RegExp(`^${file}:2: "python-dateutil" is not pinned`)),
      });
    });

    it('refuses a lock that forgot a transitive dependency, naming it and the line to add, and keeps no half-built environment', async () => {
      const file = requirements('incomplete.txt', 'python-dateutil==2.9.0.post0\n');

      await expect(ensurePythonEnvironment({ requirementsFile: file })).rejects.toMatchObject({
        name: 'PythonEnvironmentError',
        code: 'IncompleteLock',
        message: expect.stringContaining(`${file} is not a complete lock: pip also installed six 1.17.0, which a pinned package depends on. Pin it too (six==1.17.0)`),
      });
      expect(readdirSync(pythonEnvironmentsDirectory())).toEqual([]);
    });

    it("fails with pip's last lines when pip cannot install a pinned version", async () => {
      const file = requirements('unknown-version.txt', 'six==0.0.0\n');

      await expect(ensurePythonEnvironment({ requirementsFile: file })).rejects.toMatchObject({
        name: 'PythonEnvironmentError',
        code: 'PipInstallFailed',
        message: expect.stringMatching(new RegExp(`^pip could not install ${file} \\(exit code 1\\):\\n[^]*No matching distribution found for six==0\\.0\\.0`)),
      });
    });

    it('refuses a system package that Debian does not have, saying what to install', async () => {
      const file = requirements('system.txt', DATEUTIL_LOCK);

      await expect(ensurePythonEnvironment({ requirementsFile: file, systemPackages: ['no_such_package'] })).rejects.toMatchObject({
        code: 'SystemPackageMissing',
        message: `system package "no_such_package" (for ${file}) is not installed in /usr/lib/python3/dist-packages: install the Debian package that provides it (usually python3-no_such_package)`,
      });
    });

    describe('a complete lock', () => {
      const file = requirements('complete.txt', DATEUTIL_LOCK);
      const script = join(scratch, 'ensure.ts');
      writeFileSync(
        script,
        `import { ensurePythonEnvironment } from ${JSON.stringify(join(ROOT, 'local', 'services', 'python-environments'))};\n` +
          `ensurePythonEnvironment({ requirementsFile: process.argv[2], onLine: (line) => console.log(line) }).then((e) => console.log(JSON.stringify(e)));\n`,
      );
      const lines: string[] = [];
      let environments: PythonEnvironment[];

      beforeAll(async () => {
        const [other, ...own] = await Promise.all([
          inAnotherProcess(script, file, cacheDirectory),
          ensurePythonEnvironment({ requirementsFile: file, onLine: (line) => lines.push(line) }),
          ensurePythonEnvironment({ requirementsFile: file, onLine: (line) => lines.push(line) }),
        ]);
        lines.push(...other.lines);
        environments = [other.environment, ...own];
      }, 120_000);

      it('is built once for concurrent callers in this process and another', async () => {
        expect(lines.filter((line) => line.startsWith('creating the Python environment of'))).toEqual([
          expect.stringMatching(new RegExp(`^creating the Python environment of ${scratch} from complete\\.txt \\(sha256 [0-9a-f]{12}\\.\\.\\.\\) in ${cacheDirectory}/python-environments/[0-9a-f]{64}: 2 pinned packages; later runs reuse it$`)),
        ]);
        expect(lines.filter((line) => line.startsWith('waiting for process'))).toHaveLength(1);
        expect(new Set(environments.map((environment) => environment.directory)).size).toBe(1);
        expect(await pythonRun(environments[0].python, 'import dateutil, six; print(six.__version__)')).toEqual({ ok: true, output: '1.17.0' });
      });

      it('is found, not rebuilt, by a later call', async () => {
        const marker = statSync(join(environments[0].directory, COMPLETE_MARKER)).mtimeMs;
        const later: string[] = [];
        const started = Date.now();

        const environment = await ensurePythonEnvironment({ requirementsFile: file, onLine: (line) => later.push(line) });

        expect(Date.now() - started).toBeLessThan(1_000);
        expect(environment).toEqual(environments[0]);
        expect(later).toEqual([]);
        expect(statSync(join(environment.directory, COMPLETE_MARKER)).mtimeMs).toBe(marker);
      });
    });
  });

  describe('with a Debian system package', () => {
    let torchEnvironment: PythonEnvironment;
    beforeAll(async () => {
      torchEnvironment = await ensurePythonEnvironment({ requirementsFile: TORCH_IMAGE_REQUIREMENTS, systemPackages: ['torch'] });
    }, 120_000);

    it("imports Debian's torch, with its metadata, and the requirements' numpy", async () => {
      const run = await pythonRun(
        torchEnvironment.python,
        'import importlib.metadata as m, numpy, torch; print(torch.tensor([1.0, 2.0]).sum().item(), m.version("torch").startswith(torch.__version__), numpy.__version__)',
      );

      expect(run).toEqual({ ok: true, output: '3.0 True 1.26.4' });
    });

    it('sees nothing else of the machine: sklearn, which Debian has, is missing', async () => {
      execFileSync(DEFAULT_PYTHON, ['-c', 'import sklearn']); // Debian's python3-sklearn: the machine has it

      const run = await pythonRun(torchEnvironment.python, 'import sklearn');

      expect(run.ok).toBe(false);
      expect(run.output).toMatch(/ModuleNotFoundError: No module named 'sklearn'$/);
    });

    it('is not there for an environment whose image does not name it', async () => {
      const environment = await ensurePythonEnvironment({ requirementsFile: NUMPY_REQUIREMENTS });

      const run = await pythonRun(environment.python, 'import torch');

      expect(run.output).toMatch(/ModuleNotFoundError: No module named 'torch'$/);
    });
  });
});
