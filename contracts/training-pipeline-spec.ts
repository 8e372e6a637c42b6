/**
 * What the training pipeline's constructs and its containers agree on: images, entries, env names, channels, files.
 * Producers: TrainingPipeline (lib/training-pipeline.ts, lib/private/) builds the Batch job and CreateTrainingJob from it.
 * Consumers: the processing job and the trainer (pipelines/processing/, pipelines/trainer/) read the same object.
 */
import { z } from 'zod';

/**
 * What the TrainingPipeline construct and the containers must agree on: images, entrypoints, channel names,
 * split ratios, output file names. The construct reads TRAINING_PIPELINE_SPEC to build the Batch job and the
 * SageMaker CreateTrainingJob; the processing job and trainer read the same object, so a rename happens once.
 */

const SPLITS = ['train', 'validation', 'holdout'] as const;
export type SplitName = (typeof SPLITS)[number];

const imageSchema = z.object({
  /** Dockerfile path from the repository root (the build context). */
  dockerfile: z.string().regex(/Dockerfile$/),
  /** Bundled entry the image runs. */
  entry: z.string().regex(/\.ts$/),
});

export const trainingPipelineSpecSchema = z
  .object({
    processing: imageSchema.extend({
      /** Environment variables the job reads (the construct sets them; see pipelines/processing/main.ts). */
      environment: z.object({
        input: z.literal('INPUT_URI'),
        output: z.literal('OUTPUT_URI'),
        teamConfig: z.literal('TEAM_CONFIG'),
        splitSeed: z.literal('SPLIT_SEED'),
        /** Sharded runs only: `shard` (a child of the Batch array job) or `merge`; unset, one job does everything. */
        step: z.literal('PROCESSING_STEP'),
        /** Sharded runs only: the number of shards (the array job's size). */
        shards: z.literal('PROCESSING_SHARDS'),
      }),
      /** Share of rows in each split; assignment is by a seeded hash of the row's content. */
      splitRatios: z.object({ train: z.number().gt(0), validation: z.number().gt(0), holdout: z.number().gt(0) }),
      /** File name of every split under `<OUTPUT_URI><split>/`. */
      splitFile: z.literal('data.csv'),
      baselineFile: z.literal('baseline.json'),
      datasetFile: z.literal('dataset.json'),
      /**
       * Train rows the drift baseline is computed from, at most: beyond this, a uniform sample of this many rows chosen
       * by a hash of their content (the same for any layout or sharding of the dataset). Bounds the job's memory.
       */
      baselineSampleRows: z.number().int().positive(),
    }),
    training: imageSchema.extend({
      /** SageMaker input channels, each fed from the processing split of the same name. */
      channels: z.object({ train: z.literal('train'), validation: z.literal('validation') }),
      contentType: z.literal('text/csv'),
      /** Files the trainer writes to SM_MODEL_DIR; SageMaker tars them into model.tar.gz. */
      modelFile: z.literal('model.onnx'),
      metadataFile: z.literal('metadata.json'),
      /** Where a training container keeps checkpoints; with managed spot training SageMaker syncs it with S3. */
      checkpointDirectory: z.literal('/opt/ml/checkpoints'),
    }),
    evaluation: z.object({
      /** Lambda entry of the evaluation step, relative to the repository root. */
      entry: z.string().regex(/\.handler\.ts$/),
      /** Splits the evaluation scores; holdout decides the gate. */
      splits: z.array(z.enum(SPLITS)).min(1),
    }),
  })
  .refine((spec) => Math.abs(Object.values(spec.processing.splitRatios).reduce((a, b) => a + b, 0) - 1) < 1e-9, {
    message: 'split ratios must add up to 1',
    path: ['processing', 'splitRatios'],
  });
export type TrainingPipelineSpec = z.infer<typeof trainingPipelineSpecSchema>;

export const TRAINING_PIPELINE_SPEC: TrainingPipelineSpec = trainingPipelineSpecSchema.parse({
  processing: {
    dockerfile: 'pipelines/processing/Dockerfile',
    entry: 'pipelines/processing/main.ts',
    environment: { input: 'INPUT_URI', output: 'OUTPUT_URI', teamConfig: 'TEAM_CONFIG', splitSeed: 'SPLIT_SEED', step: 'PROCESSING_STEP', shards: 'PROCESSING_SHARDS' },
    splitRatios: { train: 0.7, validation: 0.15, holdout: 0.15 },
    splitFile: 'data.csv',
    baselineFile: 'baseline.json',
    datasetFile: 'dataset.json',
    baselineSampleRows: 1_000_000,
  },
  training: {
    dockerfile: 'pipelines/trainer/Dockerfile',
    entry: 'pipelines/trainer/main.ts',
    channels: { train: 'train', validation: 'validation' },
    contentType: 'text/csv',
    modelFile: 'model.onnx',
    metadataFile: 'metadata.json',
    checkpointDirectory: '/opt/ml/checkpoints',
  },
  evaluation: { entry: 'lambdas/pipeline/evaluate.handler.ts', splits: ['validation', 'holdout'] },
});

export const SPLIT_NAMES = SPLITS;
