import { z } from 'zod';
import { TaskError } from '../states/task-error';

/** SageMaker's own limits and rules on the CreateTrainingJob fields the twin uses; other fields pass through. */
const channelSchema = z
  .object({
    ChannelName: z.string().regex(/^[A-Za-z0-9.\-_]+$/, 'a channel name has letters, digits, ".", "-" and "_" only'),
    ContentType: z.string().optional(),
    DataSource: z.object({
      S3DataSource: z
        .object({
          S3Uri: z.string().min(1),
          S3DataType: z.enum(['S3Prefix', 'ManifestFile', 'AugmentedManifestFile']).default('S3Prefix'),
          S3DataDistributionType: z.enum(['FullyReplicated', 'ShardedByS3Key']).default('FullyReplicated'),
        })
        .loose(),
    }),
  })
  .loose();

const stringList = z.array(z.string()).min(1).max(100);

export const trainingJobRequestSchema = z
  .object({
    TrainingJobName: z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'up to 63 letters, digits and hyphens, starting with a letter or digit'),
    AlgorithmSpecification: z
      .object({
        TrainingImage: z.string().min(1),
        ContainerEntrypoint: stringList.optional(),
        ContainerArguments: stringList.optional(),
      })
      .loose(),
    HyperParameters: z.record(z.string(), z.string({ error: 'SageMaker takes hyperparameter values as strings' })).default({}),
    InputDataConfig: z.array(channelSchema).max(20).default([]),
    OutputDataConfig: z.object({ S3OutputPath: z.string().min(1) }).loose(),
    ResourceConfig: z
      .object({ InstanceCount: z.number().int().min(1).default(1), InstanceType: z.string().default('ml.m5.large') })
      .loose()
      .default({ InstanceCount: 1, InstanceType: 'ml.m5.large' }),
    StoppingCondition: z
      .object({ MaxRuntimeInSeconds: z.number().int().min(1).optional(), MaxWaitTimeInSeconds: z.number().int().min(1).optional() })
      .loose()
      .default({}),
    Environment: z.record(z.string(), z.string()).default({}),
    EnableManagedSpotTraining: z.boolean().default(false),
    CheckpointConfig: z.object({ S3Uri: z.string().min(1), LocalPath: z.string().default('/opt/ml/checkpoints') }).loose().optional(),
    RoleArn: z.string().optional(),
  })
  .loose()
  .superRefine((request, ctx) => {
    const { MaxRuntimeInSeconds, MaxWaitTimeInSeconds } = request.StoppingCondition;
    if (request.EnableManagedSpotTraining && MaxWaitTimeInSeconds === undefined) {
      ctx.addIssue({ code: 'custom', path: ['StoppingCondition', 'MaxWaitTimeInSeconds'], message: 'managed spot training needs a MaxWaitTimeInSeconds' });
    }
    if (MaxWaitTimeInSeconds !== undefined && MaxWaitTimeInSeconds < (MaxRuntimeInSeconds ?? 86_400)) {
      ctx.addIssue({ code: 'custom', path: ['StoppingCondition', 'MaxWaitTimeInSeconds'], message: `must be at least MaxRuntimeInSeconds (${MaxRuntimeInSeconds ?? 86_400}), got ${MaxWaitTimeInSeconds}` });
    }
    if (MaxWaitTimeInSeconds !== undefined && !request.EnableManagedSpotTraining) {
      ctx.addIssue({ code: 'custom', path: ['StoppingCondition', 'MaxWaitTimeInSeconds'], message: 'is for managed spot training only (EnableManagedSpotTraining is not true)' });
    }
  });

export type TrainingJobRequest = z.infer<typeof trainingJobRequestSchema>;
export type TrainingChannel = TrainingJobRequest['InputDataConfig'][number];

/** The task's parameters as SageMaker would accept them, or the ValidationException SageMaker would answer. */
export function parseTrainingJobRequest(parameters: unknown): TrainingJobRequest {
  const parsed = trainingJobRequestSchema.safeParse(parameters);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(request)'}: ${issue.message}`);
  throw new TaskError('SageMaker.AmazonSageMakerException', `ValidationException: ${problems.join('; ')}`);
}
