import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageGroupCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { registryEventDetailSchema } from '../../contracts/registry-events';
import { parseInput } from './parse-input';
import { registryFromEnv } from './registry-from-env';
import { mirrorAction, modelPackageGroupInput, modelPackageInput } from './sagemaker-mirror';

const logger = new Logger();
const registry = registryFromEnv();
const sageMaker = new SageMakerClient({});
const eventSchema = z.object({ detail: registryEventDetailSchema });

/** Registry event -> the version's model package in the SageMaker Model Registry. */
export const handler = async (event: unknown) => {
  const { detail } = parseInput(eventSchema, event, 'registry event');
  const version = await registry.getVersion(detail.model, detail.version);
  const action = mirrorAction(detail, version);
  if (action.kind === 'create') {
    await ensureGroup(detail.model);
    const { ModelPackageArn } = await sageMaker.send(new CreateModelPackageCommand(modelPackageInput(version)));
    if (!ModelPackageArn) throw new Error(`CreateModelPackage for ${detail.model} v${detail.version} returned no ARN`);
    await registry.annotate(detail.model, detail.version, { sageMakerModelPackageArn: ModelPackageArn });
  } else if (action.kind === 'update') {
    await sageMaker.send(new UpdateModelPackageCommand(action.input));
  }
  logger.info('mirrored to SageMaker', { model: detail.model, version: detail.version, status: detail.status, action: action.kind });
  return { model: detail.model, version: detail.version, action: action.kind };
};

async function ensureGroup(model: string): Promise<void> {
  try {
    await sageMaker.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: model }));
  } catch (err) {
    // SageMaker answers a missing group with a ValidationException.
    if ((err as Error).name !== 'ValidationException') throw err;
    await sageMaker.send(new CreateModelPackageGroupCommand(modelPackageGroupInput(model)));
  }
}
