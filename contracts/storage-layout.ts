/**
 * S3 key layout of the artifact store (docs/architecture.md, "S3 layout"); every writer and reader builds keys here.
 * Producers: the processing job and trainer (pipelines/), SageMaker (model output, checkpoints), Firehose (capture),
 * the drift job (reports) and `mlops models register --onnx` (bin/byom/external-model.ts).
 * Consumers: the constructs granting access and passing prefixes (lib/), the evaluation step (lambdas/pipeline/),
 * the drift job (lambdas/drift/), the containers' S3 helpers (pipelines/common/), the CLI (bin/) and the twin's driver
 * (local/driver/).
 */
export const processedPrefix = (executionName: string) => `runs/${executionName}/processed/`;
export const splitKey = (executionName: string, split: 'train' | 'validation' | 'holdout') =>
  `${processedPrefix(executionName)}${split}/data.csv`;
export const baselineKey = (executionName: string) => `${processedPrefix(executionName)}baseline.json`;
/**
 * A numeric feature's sorted baseline values (little-endian float64, ascending; contracts/baseline.ts), as the path
 * baseline.json records: relative to baseline.json's folder, the feature name URI-encoded so any name is one key segment.
 */
export const baselineValuesPath = (feature: string) => `baseline/${encodeURIComponent(feature)}.f64`;
/** The key of an object baseline.json (at `baselineJsonKey`) records by a path relative to its folder. */
export const keyBesideBaseline = (baselineJsonKey: string, path: string) => `${baselineJsonKey.slice(0, baselineJsonKey.lastIndexOf('/') + 1)}${path}`;
export const datasetLineageKey = (executionName: string) => `${processedPrefix(executionName)}dataset.json`;
export const modelOutputPrefix = (executionName: string) => `runs/${executionName}/model/`;
/** Checkpoints of a managed spot training job (SageMaker syncs /opt/ml/checkpoints with it), kept to resume after an interruption. */
export const checkpointPrefix = (executionName: string) => `runs/${executionName}/checkpoints/`;
export const capturePrefix = (model: string) => `capture/${model}/`;
/** Reports of the scheduled drift job, one JSON file per run, named by its time. */
export const driftReportsPrefix = (model: string) => `drift-reports/${model}/`;
export const driftReportKey = (model: string, at: Date) => `${driftReportsPrefix(model)}${at.toISOString()}.json`;
/** A model registered from outside the pipeline (`mlops models register --onnx`), keyed by its archive's sha256. */
export const byomPrefix = (model: string, archiveSha256: string) => `byom/${model}/${archiveSha256}/`;
export const byomArtifactKey = (model: string, archiveSha256: string) => `${byomPrefix(model, archiveSha256)}model.tar.gz`;
/** The holdout set it was measured on, in the processing job's layout: features in model order, label last. */
export const byomHoldoutKey = (model: string, archiveSha256: string) => `${byomPrefix(model, archiveSha256)}holdout.csv`;
/** Drift baseline computed from that holdout set (the training data stays with the model's owner). */
export const byomBaselineKey = (model: string, archiveSha256: string) => `${byomPrefix(model, archiveSha256)}baseline.json`;
/** Its numeric features' sorted values (`baselineValuesPath` beside that baseline.json). */
export const byomBaselineValuesPrefix = (model: string, archiveSha256: string) => `${byomPrefix(model, archiveSha256)}baseline/`;

/** Splits `s3://bucket/key` into its parts; throws naming the bad URI. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!match) throw new Error(`expected an s3://bucket/key URI, got "${uri}"`);
  return { bucket: match[1], key: match[2] };
}

export const s3Uri = (bucket: string, key: string) => `s3://${bucket}/${key}`;
