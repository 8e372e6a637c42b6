import { PutObjectCommand } from '@aws-sdk/client-s3';
import { sha256Hex } from '../../../lambdas/inference/model-store';
import { DynamoRegistryStore } from '../../../lambdas/registry/dynamodb-store';
import { ModelRegistry } from '../../../lambdas/registry/registry';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { type LocalS3, startS3rver } from '../../helpers/s3rver';

/** dynalite (registry table) and s3rver (artifact store), the real stand-ins the serving code reads from. */
export interface ServingBackends {
  dynamo: LocalDynamo;
  s3: LocalS3;
  registry: ModelRegistry;
  /**
   * Uploads `bytes` as a run's model.tar.gz, registers it with `sha256` (default: the bytes' own hash) and approves it
   * (serving refuses a version nobody approved).
   */
  register(model: string, bytes: Uint8Array, sha256?: string): Promise<{ version: number; artifactUri: string }>;
  /** Environment for code that uses the standard AWS SDK configuration. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startServingBackends(): Promise<ServingBackends> {
  const dynamo = await startDynalite();
  const s3 = await startS3rver();
  const registry = new ModelRegistry(new DynamoRegistryStore(dynamo.documentClient, dynamo.tableName));
  let run = 0;
  return {
    dynamo,
    s3,
    registry,
    register: async (model, bytes, sha256 = sha256Hex(bytes)) => {
      const key = `runs/run-${++run}/model/job-${run}/output/model.tar.gz`;
      await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: bytes }));
      const artifactUri = `s3://${s3.bucket}/${key}`;
      const { version } = await registry.register({ model, artifactUri, artifactSha256: sha256, metrics: {} }, 'test');
      await registry.approve(model, version.version, { actor: 'reviewer@example.com', reason: 'serving test' });
      return { version: version.version, artifactUri };
    },
    env: {
      ...s3.env,
      REGISTRY_TABLE_NAME: dynamo.tableName,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      ARTIFACT_BUCKET: s3.bucket,
    },
    stop: async () => {
      await dynamo.stop();
      await s3.stop();
    },
  };
}
