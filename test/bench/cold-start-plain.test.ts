import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchFunctionEnvironment, bundleEntry } from '../../bench/inference';
import { fixtureArchive, loadFixture } from '../lambdas/inference/fixtures';
import { type ServingBackends, startServingBackends } from '../lambdas/inference/registered-model';

const fixture = loadFixture('fraud-gbt');
let backends: ServingBackends;
let bundle: string;

beforeAll(async () => {
  backends = await startServingBackends();
  bundle = bundleEntry('bench/cold-start-plain.ts', 'cold-start-plain');
}, 120_000);
afterAll(() => backends?.stop());

/**
 * Loads the bundle in a fresh node as the cold-start bench's driver does and sends it `rows`. Asynchronously: the
 * registry and S3 it reads run in this process.
 */
function loadAndPredict(registered: { version: number; artifactUri: string }, rows: number[][]): Promise<{ status: number; stdout: string; stderr: string }> {
  const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    const response = await handler({ body: ${JSON.stringify(JSON.stringify({ instances: rows }))} });
    process.stdout.write(response.body);`;
  const env = { PATH: process.env.PATH ?? '', ...backends.env, ...benchFunctionEnvironment(registered) };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '--eval', script], { env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? ((error.code as number | undefined) ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("the cold-start bench's plain code", () => {
  it('reads the registered version from the local registry and S3 and predicts as the model does', async () => {
    // GIVEN the committed gradient boosting model registered and approved, its archive in the local S3
    const registered = await backends.register('card-fraud', fixtureArchive('fraud-gbt'));
    // WHEN the plain code loads it and predicts the fixture's rows
    const result = await loadAndPredict(registered, fixture.expected.rows);
    // THEN it answers the framework's own probabilities, row by row
    expect(result.stderr).toBe('');
    const { outputs } = JSON.parse(result.stdout) as { outputs: number[] };
    const expected = fixture.expected.expected.flat();
    expect(outputs).toHaveLength(expected.length);
    outputs.forEach((value, i) => expect(value).toBeCloseTo(expected[i] as number, 5));
  });

  it('checks the archive against the SHA-256 the registry recorded, as the function does', async () => {
    // GIVEN a version whose recorded SHA-256 is not its archive's
    const registered = await backends.register('card-fraud', fixtureArchive('fraud-gbt'), '0'.repeat(64));
    // WHEN the plain code loads it
    const result = await loadAndPredict(registered, fixture.expected.rows.slice(0, 1));
    // THEN it refuses the archive and predicts nothing
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`${registered.artifactUri} is not the archive the registry recorded`);
    expect(result.stdout).toBe('');
  });
});
