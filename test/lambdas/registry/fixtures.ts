import { DynamoRegistryStore } from '../../../lambdas/registry/dynamodb-store';
import { ModelRegistry } from '../../../lambdas/registry/registry';
import type { RegisterInput } from '../../../lambdas/registry/schemas';
import type { LocalDynamo } from '../../helpers/dynalite';

export const registryOn = (dynamo: LocalDynamo) =>
  new ModelRegistry(new DynamoRegistryStore(dynamo.documentClient, dynamo.tableName));

export const sha = (n: number) => n.toString(16).padStart(64, '0');

/** A complete registration of `model`, as the pipeline's Register step would send it. */
export function registration(model: string, n: number, overrides: Partial<RegisterInput> = {}): RegisterInput {
  return {
    model,
    artifactUri: `s3://artifacts/runs/run-${n}/model/job-${n}/output/model.tar.gz`,
    artifactSha256: sha(n),
    metrics: { holdout: { auc: 0.9 + n / 1000 } },
    primaryMetric: 'auc',
    datasetUri: 's3://artifacts/datasets/card-fraud/data.csv',
    datasetSha256: sha(999),
    codeVersion: 'abc1234',
    image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/trainer:1',
    executionName: `run-${n}`,
    baselineUri: `s3://artifacts/runs/run-${n}/processed/baseline.json`,
    holdoutUri: `s3://artifacts/runs/run-${n}/processed/holdout/data.csv`,
    clientToken: `run-${n}`,
    ...overrides,
  };
}

export const by = (actor: string, reason = 'looks good') => ({ actor, reason });
