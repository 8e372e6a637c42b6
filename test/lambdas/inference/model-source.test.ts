import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadingNow, type ModelSource, modelSourceFromEnv } from '../../../lambdas/inference/model-source';
import type { VerifiedModel } from '../../../lambdas/inference/model-store';
import { fixtureArchive } from './fixtures';
import { type ServingBackends, startServingBackends } from './registered-model';

describe('loadingNow', () => {
  it('starts the first load at once and hands it to the first caller; a later load (a retry) loads afresh', async () => {
    let loads = 0;
    const source: ModelSource = { model: 'm', version: 1, load: () => Promise.resolve({ version: ++loads } as VerifiedModel) };
    const early = loadingNow(source);
    expect(loads).toBe(1);
    expect((await early.load()).version).toBe(1);
    expect((await early.load()).version).toBe(2);
    expect(loads).toBe(2);
  });

  it('keeps a failed first load from being an unhandled rejection until someone asks for it', async () => {
    const early = loadingNow({ model: 'm', version: 1, load: () => Promise.reject(new Error('registry down')) });
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(early.load()).rejects.toThrow('registry down');
  });
});

describe('modelSourceFromEnv', () => {
  let backends: ServingBackends;
  let profileDir: string;
  const saved = { ...process.env };
  beforeAll(async () => {
    backends = await startServingBackends();
    profileDir = mkdtempSync(join(tmpdir(), 'aws-profile-'));
  });
  afterEach(() => {
    process.env = { ...saved };
  });
  afterAll(async () => {
    await backends.stop();
    rmSync(profileDir, { recursive: true, force: true });
  });

  it('reads with direct requests where the environment has static credentials (Lambda)', async () => {
    const { version, artifactUri } = await backends.register('card-fraud', fixtureArchive('fraud-gbt'));
    Object.assign(process.env, backends.env, { MODEL_NAME: 'card-fraud', MODEL_VERSION: String(version) });
    expect(await modelSourceFromEnv().load()).toMatchObject({ model: 'card-fraud', version, artifactUri });
  });

  it("reads through the AWS SDK's clients where only its credential chain finds credentials (a profile, an EKS pod's web identity)", async () => {
    const { version, artifactUri } = await backends.register('card-fraud', fixtureArchive('fraud-gbt'));
    const credentials = join(profileDir, 'credentials');
    writeFileSync(credentials, `[serving]\naws_access_key_id = ${backends.env.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${backends.env.AWS_SECRET_ACCESS_KEY}\n`);
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...withoutKeys } = backends.env;
    process.env = { ...saved, ...withoutKeys, AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_PROFILE: 'serving', MODEL_NAME: 'card-fraud', MODEL_VERSION: String(version) };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    expect(await modelSourceFromEnv().load()).toMatchObject({ model: 'card-fraud', version, artifactUri });
  });
});
