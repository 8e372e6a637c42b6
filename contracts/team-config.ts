/**
 * The team config (pipelines/teams/<team>.json): its schema, types and loader.
 * Producers: a team's JSON file (pipelines/teams/<team>.json); `loadTeamConfig` validates it and names every bad field.
 * Consumers: the team stack and its constructs (lib/, re-exported by lib/index.ts), the containers (pipelines/, from
 * env TEAM_CONFIG), the CLI (bin/), the twin's driver (local/driver/) and the template lint (tools/template-lint/).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_ACCESS_POLICY } from './access-policy';
import { MAX_SCORING_SCHEDULES, scoringScheduleSchema } from './batch-scoring';
import { DEFAULT_BYTES_PER_CHUNK } from './drift-summary';
import { QUALITY_MEASURES } from './ground-truth';
import { MODEL_TASKS, type ModelTask } from './model-tasks';
import { formatIssues } from './validation-issues';

const MIB = 1024 * 1024;

// Contracts of their own (the registry and the drift job read them too); exported here for the config's readers.
export { formatIssues, MODEL_TASKS, type ModelTask };

/**
 * The one typed config a team writes (pipelines/teams/<team>.json). Everything the stack creates is derived
 * from it; the schema is the single source of truth for what is allowed, and its errors name each bad field.
 */

const name = (what: string) =>
  z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/, `${what} must be 3-32 lowercase letters, digits or '-', starting with a letter`);

/** A Cognito group name (also what an external issuer's roles claim lists). */
const groupName = z.string().regex(/^[A-Za-z0-9_.@+-]{1,128}$/, 'a group name is 1-128 letters, digits or _.@+-');

/** A Warning/Critical threshold pair, as in cdk-monitoring-constructs. Either may be omitted. */
const thresholds = (min: number, max: number) =>
  z
    .object({
      /** The level at which the Warning alarm fires (notifies only); no Warning alarm when omitted. */
      warning: z.number().min(min).max(max).optional(),
      /** The level at which the Critical alarm fires; no Critical alarm when omitted. */
      critical: z.number().min(min).max(max).optional(),
    })
    .strict();

/** How a feature is read and compared for drift: numbers (PSI over bins, KS) or categories (PSI over categories). */
export const FEATURE_TYPES = ['numeric', 'categorical'] as const;
/** The built-in trainer's algorithms (binary classification and regression). Other tasks bring a `container`. */
export const ALGORITHMS = ['logistic-regression', 'gradient-boosting'] as const;
/** Metrics of a binary classifier (positive-class probability). */
export const CLASSIFICATION_METRICS = ['auc', 'accuracy', 'f1', 'logLoss'] as const;
/** Metrics of a multiclass classifier: macro averages over the classes, one-vs-rest AUC. */
export const MULTICLASS_METRICS = ['accuracy', 'macroF1', 'logLoss', 'macroAuc'] as const;
/** Metrics of a regressor: root mean squared error and mean absolute error (both lower is better). */
export const REGRESSION_METRICS = ['rmse', 'mae'] as const;
/** Every metric any task is measured by: what `evaluation.primaryMetric` may name before the task narrows it. */
export const ALL_METRICS = [...new Set([...CLASSIFICATION_METRICS, ...MULTICLASS_METRICS, ...REGRESSION_METRICS])] as [string, ...string[]];
/** The metrics each task is measured by; the gate's primary metric is one of them. */
export const METRICS_OF_TASK: Readonly<Record<ModelTask, readonly string[]>> = {
  'binary-classification': CLASSIFICATION_METRICS,
  'multiclass-classification': MULTICLASS_METRICS,
  regression: REGRESSION_METRICS,
};
/** Metrics where a smaller value is better; used by the gate and the champion/challenger comparison. */
export const LOWER_IS_BETTER = new Set<string>(['logLoss', 'rmse', 'mae']);
/** Most classes a multiclass model may have (one metric and one dashboard line per class). */
export const MAX_CLASSES = 100;

const SAGEMAKER_INSTANCE_TYPES = [
  'ml.m5.large',
  'ml.m5.xlarge',
  'ml.m5.2xlarge',
  'ml.m5.4xlarge',
  'ml.c5.xlarge',
  'ml.c5.2xlarge',
  'ml.c5.4xlarge',
  'ml.g4dn.xlarge',
  'ml.g4dn.2xlarge',
  'ml.g5.xlarge',
  'ml.g5.2xlarge',
  'ml.g5.4xlarge',
  'ml.p3.2xlarge',
] as const;

/** A class label as it appears in the label column (and in responses). */
export const classLabelSchema = z.union([z.string().min(1).max(64), z.number().int()]);

/**
 * A container image of the team's own: a Dockerfile directory of its repository (built and pushed by `cdk deploy`
 * as an image asset) or an image URI (its ECR image, or an AWS framework image). Exactly one of the two.
 */
const containerSchema = z
  .object({
    /** Dockerfile directory, relative to the repository root (where cdk.json is); also the build context. */
    directory: z.string().min(1).optional(),
    /** Dockerfile name inside `directory`. */
    dockerfile: z.string().min(1).default('Dockerfile'),
    /** Image URI, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn-trainer:1.4. */
    imageUri: z
      .string()
      .regex(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._\/-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/, 'imageUri must be registry/repository:tag or @sha256:digest')
      .optional(),
    /** Overrides the image's ENTRYPOINT (training only: AWS Batch cannot override it). */
    entryPoint: z.array(z.string().min(1)).min(1).max(100).optional(),
    /** Training: the arguments of `entryPoint` (needs it). Processing: the container's command (the image's CMD otherwise). */
    command: z.array(z.string()).max(100).optional(),
    /** Extra environment variables of the container. */
    environment: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment names are identifiers'), z.string().max(512)).default({}),
  })
  .strict()
  .refine((c) => (c.directory === undefined) !== (c.imageUri === undefined), {
    message: 'give exactly one of directory (a Dockerfile to build) or imageUri (an existing image)',
  });
/** A team's own container image, after parsing (defaults filled in). */
export type ContainerSpec = z.output<typeof containerSchema>;

/** One feature column of the model. */
export const featureSchema = z
  .object({
    /** The column name in the data; an identifier, since it becomes a JSON key, a metric dimension and a Python keyword argument. */
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'feature names must be identifiers (letters, digits, _)'),
    /** Numeric or categorical (see {@link FEATURE_TYPES}). */
    type: z.enum(FEATURE_TYPES),
  })
  .strict();

/** The schema of a team config: parse with {@link parseTeamConfig} or {@link loadTeamConfig}, which report every problem. */
export const teamConfigSchema = z
  .object({
    /** Team name; prefixes the stack and every resource name the stack derives. */
    team: name('team'),
    /** Where the stack deploys. Omit for environment-agnostic synthesis. */
    env: z
      .object({
        /** The 12-digit AWS account id. */
        account: z.string().regex(/^\d{12}$/, 'account must be a 12-digit AWS account id').optional(),
        /** The AWS region, e.g. `eu-west-1`. */
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region must look like eu-west-1').optional(),
      })
      .strict()
      .default({}),
    /** The model the team trains, serves and watches. */
    model: z
      .object({
        /** The model's name in the registry; names its resources, metrics (`Model` dimension) and alarms. */
        name: name('model name'),
        /** What the model predicts; decides its metrics, the gate's metric and whether predicted classes are watched. */
        task: z.enum(MODEL_TASKS),
        /** Feature columns, in the order the model takes them. */
        features: z.array(featureSchema).min(1).max(500),
        /** Label column in the training data. */
        label: z.string().min(1),
        /**
         * Class labels of a multiclass model, in the order of its probability columns; the label column holds them
         * (as written in the data). Required for multiclass-classification, not allowed for other tasks.
         */
        classes: z.array(classLabelSchema).min(3, 'a multiclass model has at least 3 classes (2 is binary-classification)').max(MAX_CLASSES).optional(),
      })
      .strict(),
    /** How the training pipeline processes the data and trains the model. */
    training: z
      .object({
        /** S3 key prefix (inside the artifact store) or s3:// URI of the raw dataset. */
        datasetUri: z.string().min(1),
        /** The built-in trainer's algorithm; ignored when `container` is given. */
        algorithm: z.enum(ALGORITHMS).default('gradient-boosting'),
        /** The team's own training container (docs/container-contract.md). @default - the built-in trainer */
        container: containerSchema.optional(),
        /** Passed to the training job (the built-in trainer's, or the team's container's own); keys the platform sets are refused. */
        hyperparameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
        /** The SageMaker training instance type. */
        instanceType: z.enum(SAGEMAKER_INSTANCE_TYPES).default('ml.m5.large'),
        /** More than one instance needs a `container` that trains distributed (the built-in trainer does not). */
        instanceCount: z.number().int().min(1).max(20).default(1),
        /** Size of the training instance's storage volume, in GiB. */
        volumeSizeGiB: z.number().int().min(1).max(512).default(30),
        /** SageMaker stops a training job that runs longer (the run then fails). */
        maxRuntimeMinutes: z.number().int().min(5).max(24 * 60).default(120),
        /**
         * Managed spot training: up to ~90% cheaper, may wait for capacity and be interrupted. The container's
         * checkpoints (/opt/ml/checkpoints) are kept under the run's S3 prefix, so an interrupted job resumes.
         * @default - on-demand instances
         */
        spot: z
          .object({
            /** Longest wait for spot capacity plus training time; at least `maxRuntimeMinutes`. */
            maxWaitMinutes: z.number().int().min(5).max(48 * 60),
          })
          .strict()
          .optional(),
        /** The processing job (AWS Batch on Fargate) that splits the data and writes the drift baseline. */
        processing: z
          .object({
            /** vCPUs of the job; a Fargate size, together with `memoryMiB`. */
            vcpus: z.number().min(0.25).max(16).default(1),
            /** Memory of the job in MiB; must be a size Fargate offers for `vcpus`. */
            memoryMiB: z.number().int().min(512).max(122_880).default(2048),
            /**
             * Shards of a dataset of many objects: above 1, the Process step is a Batch array job of this many children,
             * each reading a consecutive group of the objects, then a merge job; the outputs are the same to the byte.
             */
            shards: z.number().int().min(1).max(10_000).default(1),
            /** The team's own processing container (same contract as the built-in one). @default - the built-in */
            container: containerSchema.optional(),
          })
          .strict()
          .default({ vcpus: 1, memoryMiB: 2048, shards: 1 }),
        /** Optional VPC for the training job and processing job; without it they run with network isolation only. */
        vpc: z
          .object({
            /** The VPC's id (`vpc-...`). */
            vpcId: z.string().regex(/^vpc-[0-9a-f]+$/),
            /** Subnets the jobs run in (`subnet-...`). */
            subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/)).min(1),
            /** Security groups of the jobs (`sg-...`). */
            securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]+$/)).min(1),
          })
          .strict()
          .optional(),
        /** Cron/rate for scheduled retraining, e.g. "rate(7 days)". Omit to retrain only on demand or drift. */
        schedule: z.string().regex(/^(rate|cron)\(.+\)$/, 'schedule must be rate(...) or cron(...)').optional(),
      })
      .strict(),
    /** The gate a trained model must pass before it can be approved. */
    evaluation: z
      .object({
        /** The metric the gate judges on the holdout split; one of the task's metrics ({@link METRICS_OF_TASK}). */
        primaryMetric: z.enum(ALL_METRICS),
        /** The primary metric on holdout must clear this (>= for higher-is-better, <= otherwise). */
        threshold: z.number(),
        /** A challenger must beat the live champion by at least this much to be auto-approved. */
        championMargin: z.number().min(0).default(0),
        /** Approve a version that passes the gate and beats the champion without a reviewer; off, a person approves. */
        autoApprove: z.boolean().default(false),
      })
      .strict(),
    /** How an approved version reaches traffic (Lambda tier: the deployment flow's canary). */
    deployment: z
      .object({
        /** Holdout parity: |metric(deployed) - metric(evaluation)| must be <= this. */
        holdoutTolerance: z.number().min(0).max(1).default(0.001),
        /** Share of traffic (%) the new version gets during the canary. */
        canaryPercent: z.number().int().min(1).max(50).default(10),
        /** How long the canary runs while its alarms are watched, before the new version gets all traffic. */
        canaryBakeMinutes: z
          .number()
          .int()
          .min(5, 'must be at least 5: the inference alarms need their 5-minute window to be able to fire during the bake')
          .max(120)
          .default(5),
        /** Mirror each version to the SageMaker Model Registry and accept approvals made there. */
        mirrorToSageMaker: z.boolean().default(false),
      })
      .strict()
      .default({ holdoutTolerance: 0.001, canaryPercent: 10, canaryBakeMinutes: 5, mirrorToSageMaker: false }),
    /** Where the model is served: a Lambda function (the default) or an existing EKS cluster. */
    inference: z
      .discriminatedUnion('kind', [
        z
          .object({
            /** A Lambda function behind a `live` alias, deployed by the deployment flow. */
            kind: z.literal('lambda'),
            /** Memory of the function in MiB; CPU scales with it. */
            memoryMiB: z.number().int().min(512).max(10_240).default(2048),
            /** Provisioned concurrency on the `live` alias (environments whose init loads the model); 0 keeps it on demand. */
            provisionedConcurrency: z.number().int().min(0).max(100).default(0),
            /** Share of requests captured for drift monitoring, 0-100. */
            captureSamplePercent: z.number().min(0).max(100).default(10),
          })
          .strict(),
        z
          .object({
            /** A Deployment on an existing EKS cluster; a version rolls out with a stack deployment. */
            kind: z.literal('eks'),
            /** Name of the existing cluster. */
            clusterName: z.string().min(1),
            /** IAM role mapped to cluster-admin that CloudFormation uses to apply the manifests. */
            kubectlRoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'kubectlRoleArn must be an IAM role ARN'),
            /** Kubernetes namespace of the workload. */
            namespace: z.string().regex(/^[a-z0-9-]{1,63}$/).default('mlops'),
            /** Fewest pods the autoscaler keeps. */
            minReplicas: z.number().int().min(1).default(2),
            /** Most pods the autoscaler runs. */
            maxReplicas: z.number().int().min(1).default(10),
            /** CPU request of a pod, a Kubernetes quantity. */
            cpu: z.string().default('500m'),
            /** Memory request and limit of a pod, a Kubernetes quantity. */
            memory: z.string().default('1Gi'),
            /** Share of requests captured for drift monitoring, 0-100. */
            captureSamplePercent: z.number().min(0).max(100).default(10),
            /**
             * Registry version the pods serve. EKS has no deployment flow: an approved version rolls out when this is
             * set to it and the stack is deployed (GitOps). Unset, the pods answer 503 until a version is set.
             */
            modelVersion: z.number().int().min(1).optional(),
          })
          .strict()
          .refine((eks) => eks.maxReplicas >= eks.minReplicas, {
            message: 'maxReplicas must be >= minReplicas',
            path: ['maxReplicas'],
          }),
      ])
      .default({ kind: 'lambda', memoryMiB: 2048, provisionedConcurrency: 0, captureSamplePercent: 10 }),
    /** How the drift monitor compares live traffic with the training data and when it retrains. */
    drift: z
      .object({
        /** How often the drift job runs, e.g. "rate(1 hour)". */
        schedule: z.string().regex(/^(rate|cron)\(.+\)$/, 'schedule must be rate(...) or cron(...)').default('rate(1 hour)'),
        /** Captured traffic older than this is not compared. */
        windowHours: z.number().int().min(1).max(24 * 30).default(24),
        /** Fewer captured rows than this in the window: no verdict, no metric. */
        minSamples: z.number().int().min(10).default(200),
        /** PSI levels of the per-feature and predicted-class alarms; a feature at or above Critical counts as drifted. */
        psi: thresholds(0, 10).default({ warning: 0.1, critical: 0.25 }),
        /** Share of features judged drifted (0-1) that raises the dataset-level alarm and triggers retraining. */
        driftedFeatureShare: z.number().gt(0).max(1).default(0.3),
        /** One drift episode starts at most one retraining per cooldown. */
        retrainCooldownHours: z.number().int().min(1).max(24 * 30).default(24),
        /**
         * Days an expired or deleted capture object (captured requests: the callers' data) stays recoverable as a
         * noncurrent version of the versioned artifact store before S3 removes it.
         */
        captureNoncurrentRetentionDays: z.number().int().min(1).max(365).default(1),
        /**
         * Capture (MiB of objects as stored) one function summarizes: a window of more fans out on a Distributed Map
         * of chunks of this size, merged exactly. A chunk's size sets its worker's time, not its memory (memoryMiB).
         */
        chunkMiB: z.number().int().min(1).max(1024).default(DEFAULT_BYTES_PER_CHUNK / MIB),
        /** Chunks summarized at once. */
        maxConcurrency: z.number().int().min(1).max(1000).default(10),
        /**
         * Memory of the drift run's functions: each holds the baseline's references and, in what they leave, feature
         * values before counting them into the baseline's bins (more numeric features need more; docs/scaling.md).
         */
        memoryMiB: z.number().int().min(512).max(10_240).default(2048),
      })
      .strict()
      // An absent section is parsed as {}, so every field takes its default above.
      .prefault({}),
    /**
     * Model quality on ground truth (docs/model-quality.md): labels sent back for served predictions are joined to the
     * captured predictions by id and measured per version; a Critical quality alarm starts a retraining (the drift
     * section's cooldown applies to both).
     */
    quality: z
      .object({
        /** How often the quality job runs, e.g. "rate(1 hour)". */
        schedule: z.string().regex(/^(rate|cron)\(.+\)$/, 'schedule must be rate(...) or cron(...)').default('rate(1 hour)'),
        /** Predictions captured, and labels received, in the last this many hours are joined (labels arrive late). */
        windowHours: z.number().int().min(1).max(24 * 30).default(24 * 7),
        /** Fewer labelled predictions of a version than this: no quality measures for it, no alarm. */
        minLabelled: z.number().int().min(10).default(100),
        /**
         * Warning/Critical levels per measure of the task (binary: auc, accuracy, logLoss; multiclass: accuracy,
         * logLoss; regression: rmse, mae): below the level for auc and accuracy, above it for the others.
         * @default - Critical at the evaluation gate's threshold on its primary metric, when that metric is measured here
         */
        thresholds: z
          .object({
            /** Area under the ROC curve (binary): alarms below the levels. */
            auc: thresholds(0, 1),
            /** Share of labels predicted right: alarms below the levels. */
            accuracy: thresholds(0, 1),
            /** Mean negative log-likelihood of the true labels: alarms above the levels. */
            logLoss: thresholds(0, 100),
            /** Root mean squared error (regression): alarms above the levels. */
            rmse: thresholds(0, Number.MAX_VALUE),
            /** Mean absolute error (regression): alarms above the levels. */
            mae: thresholds(0, Number.MAX_VALUE),
          })
          .partial()
          .strict()
          .optional(),
        /** Add the labelled production rows to the training dataset (under its prefix, with lineage). */
        addLabelledRowsToTraining: z.boolean().default(true),
      })
      .strict()
      .default({ schedule: 'rate(1 hour)', windowHours: 24 * 7, minLabelled: 100, addLabelledRowsToTraining: true }),
    /** Who may do what through the approval API and the console. */
    access: z
      .object({
        /** Identity-provider group (Cognito group, or a value of `rolesClaim`) whose members approve and reject versions. */
        approverGroup: groupName.default(DEFAULT_ACCESS_POLICY.groups.approver),
        /** Group whose members roll back the live version, abort a deployment and replay registry events. */
        operatorGroup: groupName.default(DEFAULT_ACCESS_POLICY.groups.operator),
        /** Group whose members register versions they trained elsewhere (BYOM) and start training runs. */
        developerGroup: groupName.default(DEFAULT_ACCESS_POLICY.groups.developer),
        /**
         * The token claim listing the caller's groups: Cognito's `cognito:groups` in the default user pool; for an
         * external OIDC issuer, the claim it puts groups in (e.g. `groups`).
         */
        rolesClaim: z.string().min(1).max(100).default(DEFAULT_ACCESS_POLICY.rolesClaim),
        /** Let the identity that registered a version approve it too. Off: a second person must approve. */
        allowSelfApproval: z.boolean().default(DEFAULT_ACCESS_POLICY.allowSelfApproval),
        /** IAM roles (automation: CI, release tooling) that call the API's SigV4 routes, and the roles they hold. */
        automationRoles: z
          .array(
            z
              .object({
                /** The IAM role's ARN; its SigV4-signed calls act with the roles below. */
                roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'roleArn must be an IAM role ARN'),
                /** The approval API roles the IAM role holds. */
                roles: z.array(z.enum(['approver', 'operator', 'developer'])).min(1),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      // An absent section is parsed as {}, so every field takes its default above.
      .prefault({}),
    /** Batch scoring (`mlops score`) beyond on-demand runs. */
    scoring: z
      .object({
        /**
         * Runs started on a schedule, each scoring `input` with the live version (or `version`) into
         * `<output>/<scheduled time>/`; the input lives under the artifact store's `scoring/` prefix.
         */
        schedules: z.array(scoringScheduleSchema).max(MAX_SCORING_SCHEDULES).default([]),
        /** Chunks of a run scored at once (its Distributed Map's concurrency). */
        maxConcurrency: z.number().int().min(1).max(1000).default(10),
      })
      .strict()
      // An absent section is parsed as {}: no schedules.
      .prefault({}),
    /** The inference tier's alarms and where their notifications go. */
    alarms: z
      .object({
        /** p99 latency thresholds in milliseconds; Critical stops a canary. */
        latencyP99Ms: thresholds(1, 60_000).default({ warning: 200, critical: 1000 }),
        /** Server-error rate thresholds in percent of requests; Critical stops a canary. */
        errorRatePercent: thresholds(0, 100).default({ warning: 1, critical: 5 }),
        /** E-mail address subscribed to the alarms' SNS topic. Omit to rely on the dashboard and events only. */
        notifyEmail: z.email().optional(),
      })
      .strict()
      .default({ latencyP99Ms: { warning: 200, critical: 1000 }, errorRatePercent: { warning: 1, critical: 5 } }),
  })
  .strict()
  .superRefine((config, ctx) => {
    const metrics = METRICS_OF_TASK[config.model.task];
    if (!metrics.includes(config.evaluation.primaryMetric)) {
      ctx.addIssue({
        code: 'custom',
        path: ['evaluation', 'primaryMetric'],
        message: `a ${config.model.task} model is judged by one of ${metrics.join(', ')}, got "${config.evaluation.primaryMetric}"`,
      });
    }
    const names = config.model.features.map((f) => f.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) {
      ctx.addIssue({ code: 'custom', path: ['model', 'features'], message: `feature "${duplicate}" is listed twice` });
    }
    if (names.includes(config.model.label)) {
      ctx.addIssue({ code: 'custom', path: ['model', 'label'], message: `label "${config.model.label}" is also a feature` });
    }
    const { task, classes } = config.model;
    if (task === 'multiclass-classification' && !classes) {
      ctx.addIssue({ code: 'custom', path: ['model', 'classes'], message: 'a multiclass-classification model lists its classes, in the order of its probability columns' });
    }
    if (task !== 'multiclass-classification' && classes) {
      ctx.addIssue({ code: 'custom', path: ['model', 'classes'], message: `classes apply to multiclass-classification; a ${task} model has none` });
    }
    const classNames = (classes ?? []).map(String);
    const repeated = classNames.find((c, i) => classNames.indexOf(c) !== i);
    if (repeated !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['model', 'classes'], message: `class "${repeated}" is listed twice` });
    }
    const { training } = config;
    if (!training.container && task === 'multiclass-classification') {
      ctx.addIssue({
        code: 'custom',
        path: ['training', 'container'],
        message: 'the built-in algorithms train binary classifiers and regressors; a multiclass model brings its training container',
      });
    }
    if (!training.container && training.instanceCount > 1) {
      ctx.addIssue({ code: 'custom', path: ['training', 'instanceCount'], message: `the built-in trainer runs on 1 instance; ${training.instanceCount} need a container that trains distributed` });
    }
    if (training.spot && training.spot.maxWaitMinutes < training.maxRuntimeMinutes) {
      ctx.addIssue({
        code: 'custom',
        path: ['training', 'spot', 'maxWaitMinutes'],
        message: `must be at least maxRuntimeMinutes (${training.maxRuntimeMinutes}): it counts the training time too, got ${training.spot.maxWaitMinutes}`,
      });
    }
    for (const measure of Object.keys(config.quality.thresholds ?? {})) {
      const measured: readonly string[] = QUALITY_MEASURES[config.model.task];
      if (!measured.includes(measure)) {
        ctx.addIssue({ code: 'custom', path: ['quality', 'thresholds', measure], message: `a ${config.model.task} model's quality is measured by ${measured.join(', ')}, not ${measure}` });
      }
    }
    if (config.model.task === 'regression' && config.evaluation.autoApprove && config.evaluation.threshold <= 0) {
      ctx.addIssue({ code: 'custom', path: ['evaluation', 'threshold'], message: 'an error threshold must be > 0' });
    }
  });

/** A parsed team config: every default filled in. What the constructs take. */
export type TeamConfig = z.output<typeof teamConfigSchema>;
/** A team config as a team writes it (in JSON or TypeScript): optional fields may be left out. */
export type TeamConfigInput = z.input<typeof teamConfigSchema>;
/** One feature column, after parsing. */
export type FeatureSpec = z.output<typeof featureSchema>;

/** Thrown with every problem of a config at once, each on its own line with its path. */
export class TeamConfigError extends Error {
  constructor(
    /** Where the config came from (a file path, or a name for a config built in code). */
    readonly source: string,
    /** Every problem, each `path: message` (e.g. `training.instanceType: ...`). */
    readonly problems: string[],
  ) {
    super(`Invalid team config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TeamConfigError';
  }
}

/** Validates a parsed config object; throws TeamConfigError naming every bad field. */
export function parseTeamConfig(raw: unknown, source = 'team config'): TeamConfig {
  const result = teamConfigSchema.safeParse(raw);
  if (!result.success) throw new TeamConfigError(source, formatIssues(result.error));
  return result.data;
}

/** Reads and validates a team config JSON file. */
export function loadTeamConfig(file: string): TeamConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TeamConfigError(file, [`cannot read JSON: ${(err as Error).message}`]);
  }
  return parseTeamConfig(raw, file);
}
