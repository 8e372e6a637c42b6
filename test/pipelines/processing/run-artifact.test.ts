import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTeamConfig } from '../../../contracts/team-config';
import { datasetToCsv, generateTransactions } from '../../../pipelines/datasets/card-fraud';
import { processDataset } from '../../../pipelines/processing/process';
import { createRunArtifact, RunArtifactExistsError } from '../../../pipelines/processing/run-artifact';
import { LOCAL_AWS } from '../../helpers/dynalite';
import { type LocalS3, S3RVER_CREDENTIALS, startS3rver } from '../../helpers/s3rver';

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.stop();
});

/** s3rver's client, recording the method, key and If-None-Match header of every request it sends. */
function recordingClient() {
  const requests: { method: string; path: string; ifNoneMatch?: string }[] = [];
  const client = new S3Client({ region: LOCAL_AWS.region, credentials: S3RVER_CREDENTIALS, endpoint: s3.endpoint, forcePathStyle: true });
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { method: string; path: string; headers: Record<string, string> };
      requests.push({ method: request.method, path: request.path, ifNoneMatch: request.headers['if-none-match'] });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'recordRequests' },
  );
  return { client, requests };
}

describe('run artifacts are written once', () => {
  it('sends every write of the processing job as a conditional create (If-None-Match: *)', async () => {
    // GIVEN a dataset
    await s3.put(s3.bucket, 'datasets/fraud/part-0.csv', datasetToCsv(generateTransactions({ rows: 1000, seed: 3 })));
    const config = parseTeamConfig(JSON.parse(readFileSync('pipelines/teams/fraud.json', 'utf8')));
    const { client, requests } = recordingClient();
    // WHEN the processing job writes its run's artifacts
    await processDataset(client, { inputUri: `s3://${s3.bucket}/datasets/fraud/`, outputUri: `s3://${s3.bucket}/runs/r1/processed/`, config, splitSeed: '0' });
    // THEN each PUT (three splits, the baseline with its numeric features' sorted values, the lineage) asked S3 to
    // refuse it if the key existed
    const puts = requests.filter((r) => r.method === 'PUT');
    const sortedValues = config.model.features.filter((f) => f.type === 'numeric').map((f) => `baseline/${f.name}.f64`);
    expect(puts.map((r) => r.path).sort()).toEqual(
      ['baseline.json', ...sortedValues, 'dataset.json', 'holdout/data.csv', 'train/data.csv', 'validation/data.csv']
        .map((file) => `/${s3.bucket}/runs/r1/processed/${file}`)
        .sort(),
    );
    expect(puts.every((r) => r.ifNoneMatch === '*')).toBe(true);
  });

  it("names the artifact when S3 refuses a write because the key exists (412), as s3rver cannot", async () => {
    // s3rver ignores If-None-Match on PUT, so S3's documented answer to a second create is served here as S3 sends it.
    const server: Server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(412, { 'content-type': 'application/xml' });
        response.end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
            '<Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>',
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new S3Client({ region: LOCAL_AWS.region, credentials: S3RVER_CREDENTIALS, endpoint, forcePathStyle: true, maxAttempts: 1 });
    try {
      const refused = await createRunArtifact(client, 'artifacts', 'runs/r1/processed/train/data.csv', 'a,b\n', 'text/csv').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RunArtifactExistsError);
      expect((refused as Error).message).toBe(
        's3://artifacts/runs/r1/processed/train/data.csv exists already; a run writes its artifacts once and never replaces them',
      );
    } finally {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
