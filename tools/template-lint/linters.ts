import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePythonEnvironment, type PythonEnvironment } from '../../local/services/python-environments';
import type { LintTool } from './findings';

/** The pinned linters: cfn-lint, its serverless rules and checkov, with every transitive dependency (`pip freeze`). */
export const LINTER_REQUIREMENTS = join(__dirname, 'requirements.txt');

/** The linters as pinned (`cfn-lint==1.58.0, ...`), for the run's first line. */
export function pinnedVersions(): string[] {
  const pins = readFileSync(LINTER_REQUIREMENTS, 'utf8').split('\n');
  return ['cfn-lint', 'cfn-lint-serverless', 'checkov'].map((name) => pins.find((line) => line.toLowerCase().replaceAll('_', '-').startsWith(`${name}==`)) ?? `${name} (not pinned)`);
}

/** A linter ended abnormally (it crashed, or printed something other than its JSON report). */
export class LinterRunError extends Error {
  constructor(
    readonly tool: LintTool,
    readonly command: string,
    message: string,
  ) {
    super(`${tool} failed: ${message}\n  command: ${command}`);
    this.name = 'LinterRunError';
  }
}

/**
 * The virtual environment with the pinned linters, built from requirements.txt on first use and cached by its hash
 * (local/services/python-environments.ts), so CI and a developer run the same versions.
 */
export function linterEnvironment(onLine?: (line: string) => void): Promise<PythonEnvironment> {
  return ensurePythonEnvironment({ requirementsFile: LINTER_REQUIREMENTS, onLine });
}

/**
 * `cfn-lint --format json` with the serverless rules on one template: its parsed report. cfn-lint's exit code is a
 * bit set of the levels it found (2 error, 4 warning, 8 informational); any other code is a crash.
 */
export async function runCfnLint(environment: PythonEnvironment, templateFile: string): Promise<unknown> {
  const args = ['--format', 'json', '--append-rules', 'cfn_lint_serverless.rules', '--', templateFile];
  return runJson('cfn-lint', join(environment.directory, 'bin', 'cfn-lint'), args, (code) => code >= 0 && code <= 14 && code % 2 === 0);
}

/**
 * `checkov -o json` (CloudFormation checks) on one template: its parsed report. `--skip-download` keeps the run
 * offline and the same everywhere (no policy metadata from Prisma Cloud); `--compact` leaves the code blocks out.
 * Exit code 1 means failed checks, 0 none.
 */
export async function runCheckov(environment: PythonEnvironment, templateFile: string): Promise<unknown> {
  const args = ['-f', templateFile, '--framework', 'cloudformation', '-o', 'json', '--compact', '--skip-download'];
  return runJson('checkov', join(environment.directory, 'bin', 'checkov'), args, (code) => code === 0 || code === 1);
}

function runJson(tool: LintTool, executable: string, args: string[], reported: (code: number) => boolean): Promise<unknown> {
  const command = [executable, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('error', (err) => reject(new LinterRunError(tool, command, err.message)));
    child.on('close', (code, signal) => {
      if (code === null || !reported(code)) {
        reject(new LinterRunError(tool, command, `exit ${code ?? signal}${stderr ? `\n${stderr.trim()}` : ''}`));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(stdout).toString('utf8')));
      } catch (err) {
        reject(new LinterRunError(tool, command, `its output is not JSON (${(err as Error).message})${stderr ? `\n${stderr.trim()}` : ''}`));
      }
    });
  });
}
