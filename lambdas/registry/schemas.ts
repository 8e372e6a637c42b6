import { z } from 'zod';
import { modelMetadataSchema } from '../../contracts/model-metadata';
import type { ShadowReport, ShadowState } from '../../contracts/shadow-test';
import type { VersionStatus } from '../../contracts/registry-events';
import type { Principal } from './caller';

/** Model names follow the team config's rule, so they are also valid SageMaker model package group names. */
export const modelNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/, 'model must be 3-32 lowercase letters, digits or "-", starting with a letter');

export const versionNumberSchema = z.coerce
  .number({ error: 'version must be a positive integer' })
  .int('version must be a positive integer')
  .positive('version must be a positive integer')
  .max(9_999_999_999, 'version must have at most 10 digits');

const s3UriSchema = z.string().regex(/^s3:\/\/[^/]+\/.+$/, 'expected an s3://bucket/key URI');
const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex SHA-256 (64 characters)');

/** `{ <split>: { <metric>: value } }`, the same shape as metadata.json's metrics, e.g. `{ "holdout": { "auc": 0.91 } }`. */
export const metricsSchema = modelMetadataSchema.shape.metrics;

/** What a caller supplies to register a version (the pipeline's Register step and `mlops models register`). */
export const registerInputSchema = z
  .object({
    model: modelNameSchema,
    artifactUri: s3UriSchema,
    artifactSha256: sha256Schema,
    metrics: metricsSchema,
    /** The metric the evaluation gate judged by; the holdout parity check recomputes it. */
    primaryMetric: z.string().min(1).optional(),
    datasetUri: z.string().min(1).optional(),
    datasetSha256: sha256Schema.optional(),
    codeVersion: z.string().min(1).max(200).optional(),
    image: z.string().min(1).max(500).optional(),
    executionName: z.string().min(1).max(80).optional(),
    baselineUri: s3UriSchema.optional(),
    holdoutUri: s3UriSchema.optional(),
    description: z.string().max(1000).optional(),
    /** Registering twice with one token yields one version. */
    clientToken: z.string().min(1).max(128).optional(),
  })
  .strict()
  .refine((input) => input.primaryMetric === undefined || input.metrics.holdout?.[input.primaryMetric] !== undefined, {
    message: 'primaryMetric must name a metric recorded under metrics.holdout',
    path: ['primaryMetric'],
  });
export type RegisterInput = z.input<typeof registerInputSchema>;

/** Approve/reject body of the approval API. */
export const decisionBodySchema = z
  .object({ comment: z.string().trim().min(1, 'comment is required').max(1000, 'comment must be at most 1000 characters') })
  .strict();

/** The newest link of a model's audit chain, kept on the model item so a missing tail is noticed too. */
export interface AuditHead {
  seq: number;
  hash: string;
}

/** A who/why pair recorded in the audit row of every transition. */
export interface Decision {
  /** How the actor reads in the audit trail: a person's verified email or subject, or a service (`deployment:<execution>`). */
  actor: string;
  reason: string;
  /** The signed-in identity, when a person or an automation role decided (the approval API); services have none. */
  principal?: Principal;
}

export interface ModelRecord {
  model: string;
  latestVersion: number;
  /** The version serving traffic, if any. */
  liveVersion?: number;
  /** Versions that were live, oldest first, ending with the live one; a rollback restores the one before it. */
  liveHistory: number[];
  /** The version a deployment is in progress for; one deployment per model at a time. */
  deployingVersion?: number;
  /**
   * Who owns that deployment: the deployment flow's execution name. Only its owner moves the deploying version or the
   * alias; a duplicate or stale execution, or a release after the owner ended, checks it first.
   */
  deployingExecution?: string;
  /** The newest row of the model's audit chain; `mlops audit verify` checks the trail ends here. */
  auditHead?: AuditHead;
  /** The pending version answering a copy of live traffic, if a shadow test runs (contracts/shadow-test.ts). */
  shadow?: ShadowState;
  createdAt: string;
  updatedAt: string;
}

export interface VersionRecord {
  model: string;
  version: number;
  status: VersionStatus;
  artifactUri: string;
  artifactSha256: string;
  metrics: Record<string, Record<string, number>>;
  primaryMetric?: string;
  datasetUri?: string;
  datasetSha256?: string;
  codeVersion?: string;
  image?: string;
  executionName?: string;
  baselineUri?: string;
  holdoutUri?: string;
  description?: string;
  clientToken?: string;
  createdAt: string;
  createdBy: string;
  /** Who registered it (BYOM through the approval API, or the person whose request started the training run). */
  createdByPrincipal?: Principal;
  updatedAt: string;
  /** Lambda function version that serves this model version (set by the Prepare step). */
  functionVersion?: string;
  /** What the alias served before this version's deployment; the rollback target when nothing else was live. */
  priorFunctionVersion?: string;
  /** Set when the version is mirrored to the SageMaker Model Registry. */
  sageMakerModelPackageArn?: string;
  /** Hourly comparisons with the live version while it ran in shadow, oldest first (at most MAX_SHADOW_REPORTS). */
  shadowReports?: ShadowReport[];
}

export interface AuditRecord {
  model: string;
  version: number;
  from: VersionStatus | null;
  to: VersionStatus;
  actor: string;
  reason: string;
  at: string;
  versionCreatedAt: string;
  /** The signed-in identity behind `actor`, when a person or an automation role decided. */
  principal?: Principal;
  /** On the audit row of a rollback: the version that is live again. */
  restoredVersion?: number;
  id: string;
  /** Position in the model's audit chain, from 1 (lambdas/registry/audit-chain.ts). */
  seq: number;
  /** `hash` of the row before (64 zeros for the first). */
  prevHash: string;
  /** SHA-256 of this row's content, `prevHash` included. */
  hash: string;
}

export interface TokenRecord {
  model: string;
  clientToken: string;
  version: number;
  artifactSha256: string;
}

/** Attributes of a version that change without a status transition. */
export type VersionAnnotations = Partial<
  Pick<VersionRecord, 'functionVersion' | 'priorFunctionVersion' | 'sageMakerModelPackageArn'>
>;
