/** S3 key conventions of the artifact store; every writer and reader builds keys here. */

export const processedPrefix = (executionName: string) => `runs/${executionName}/processed/`;
export const splitKey = (executionName: string, split: 'train' | 'validation' | 'holdout') =>
  `${processedPrefix(executionName)}${split}/data.csv`;
export const baselineKey = (executionName: string) => `${processedPrefix(executionName)}baseline.json`;
export const datasetLineageKey = (executionName: string) => `${processedPrefix(executionName)}dataset.json`;
export const modelOutputPrefix = (executionName: string) => `runs/${executionName}/model/`;
export const capturePrefix = (model: string) => `capture/${model}/`;

/** Splits `s3://bucket/key` into its parts; throws naming the bad URI. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!match) throw new Error(`expected an s3://bucket/key URI, got "${uri}"`);
  return { bucket: match[1], key: match[2] };
}

export const s3Uri = (bucket: string, key: string) => `s3://${bucket}/${key}`;
