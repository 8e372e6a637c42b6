import type { ModelView, VersionSummaryView, VersionView } from '../../contracts/registry-api';
import type { AuditRecord, ModelRecord, VersionRecord } from './schemas';

/**
 * Maps the registry's records to the public shapes of models and versions (contracts/registry-api.ts), shared by the
 * approval API and `mlops models ... --json`.
 */

export const modelView = (model: ModelRecord): ModelView => ({
  model: model.model,
  latestVersion: model.latestVersion,
  liveVersion: model.liveVersion ?? null,
  previousLiveVersion: model.liveHistory.at(-2) ?? null,
  deployingVersion: model.deployingVersion ?? null,
  /** The deployment flow execution that owns that deployment (what an abort stops). */
  deployingExecution: model.deployingExecution ?? null,
  shadow: model.shadow ?? null,
  createdAt: model.createdAt,
  updatedAt: model.updatedAt,
});

export const versionSummaryView = (version: VersionRecord): VersionSummaryView => ({
  version: version.version,
  status: version.status,
  primaryMetric: version.primaryMetric ?? null,
  primaryMetricValue: version.primaryMetric ? (version.metrics.holdout?.[version.primaryMetric] ?? null) : null,
  executionName: version.executionName ?? null,
  createdAt: version.createdAt,
  createdBy: version.createdBy,
  updatedAt: version.updatedAt,
});

export const versionView = (version: VersionRecord, audit: AuditRecord[]): VersionView => ({
  model: version.model,
  ...versionSummaryView(version),
  description: version.description ?? null,
  metrics: version.metrics,
  artifact: { uri: version.artifactUri, sha256: version.artifactSha256 },
  lineage: {
    datasetUri: version.datasetUri ?? null,
    datasetSha256: version.datasetSha256 ?? null,
    codeVersion: version.codeVersion ?? null,
    image: version.image ?? null,
    executionName: version.executionName ?? null,
    baselineUri: version.baselineUri ?? null,
    holdoutUri: version.holdoutUri ?? null,
  },
  deployment: { functionVersion: version.functionVersion ?? null, priorFunctionVersion: version.priorFunctionVersion ?? null },
  sageMakerModelPackageArn: version.sageMakerModelPackageArn ?? null,
  shadowReports: version.shadowReports ?? [],
  audit: audit.map(({ from, to, actor, reason, at, restoredVersion }) => ({
    at,
    from,
    to,
    actor,
    reason,
    ...(restoredVersion === undefined ? {} : { restoredVersion }),
  })),
});
