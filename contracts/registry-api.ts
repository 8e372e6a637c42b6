/**
 * The approval API's response bodies (docs/architecture.md, "Approval API").
 * Producers: the registry's view functions (lambdas/registry/views.ts) answered by lambdas/registry/api.ts, in AWS
 * and in the twin; the IAM route prefix is mounted by ApprovalApi (lib/approval-api.ts).
 * Consumers: the console (console/src/api.js and its views) and `mlops models ... --json` (bin/commands/models.ts).
 */
import type { VersionStatus } from './registry-events';
import type { ShadowReport, ShadowState } from './shadow-test';

/**
 * Routes under this prefix are authorized by IAM (SigV4) for the automation roles; the rest by the JWT authorizer.
 * ApprovalApi (lib/approval-api.ts) mounts them; the API function (lambdas/registry/api.handler.ts) strips it.
 */
export const IAM_ROUTE_PREFIX = '/iam';

/** `GET /models` (each of `models`) and the head of `GET /models/{model}`. */
export interface ModelView {
  model: string;
  latestVersion: number;
  liveVersion: number | null;
  /** The version a rollback would restore: the one live before the live one. */
  previousLiveVersion: number | null;
  deployingVersion: number | null;
  /** The deployment flow execution that owns that deployment (what an abort stops). */
  deployingExecution: string | null;
  /** The pending version answering a sampled copy of live requests, if a shadow test runs. */
  shadow: ShadowState | null;
  createdAt: string;
  updatedAt: string;
}

/** One version in `GET /models/{model}` (and the head of a version's detail). */
export interface VersionSummaryView {
  version: number;
  status: VersionStatus;
  primaryMetric: string | null;
  /** The primary metric on the holdout split. */
  primaryMetricValue: number | null;
  /** The training pipeline execution that produced the version (none for a version registered from outside). */
  executionName: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

/** `GET /models/{model}`. */
export interface ModelDetailView extends ModelView {
  versions: VersionSummaryView[];
}

/** One transition of a version's audit trail, as the API shows it. */
export interface AuditEntryView {
  at: string;
  from: VersionStatus | null;
  to: VersionStatus;
  actor: string;
  reason: string;
  /** On a rollback: the version that is live again. */
  restoredVersion?: number;
}

/** `GET /models/{model}/versions/{version}`. */
export interface VersionView extends VersionSummaryView {
  model: string;
  description: string | null;
  /** `{ <split>: { <metric>: value } }`, as metadata.json's metrics. */
  metrics: Record<string, Record<string, number>>;
  artifact: { uri: string; sha256: string };
  lineage: {
    datasetUri: string | null;
    datasetSha256: string | null;
    codeVersion: string | null;
    image: string | null;
    executionName: string | null;
    baselineUri: string | null;
    holdoutUri: string | null;
  };
  deployment: { functionVersion: string | null; priorFunctionVersion: string | null };
  sageMakerModelPackageArn: string | null;
  /** Hourly comparisons with the live version while this version ran in shadow, oldest first. */
  shadowReports: ShadowReport[];
  audit: AuditEntryView[];
}

/** A training pipeline run's outcome, as the registry stores it and `GET /models/{model}/runs` lists it. */
export interface RunRecord {
  model: string;
  executionName: string;
  status: 'succeeded' | 'failed';
  version?: number;
  error?: string;
  /** What went wrong in one sentence (lambdas/pipeline/failure-reason.ts); `cause` holds the details. */
  reason?: string;
  cause?: string;
  at: string;
}

/** The body of every error answer: the error class's name (a stable code) and a message to show. */
export interface ApiErrorBody {
  error: string;
  message: string;
  /** On 403: the role that would have allowed the request. */
  missingRole?: string;
}
