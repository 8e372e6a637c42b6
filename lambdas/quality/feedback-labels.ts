import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { feedbackLabelsKey, type FeedbackAcceptedView, type FeedbackBody } from '../../contracts/ground-truth';
import { putObject } from '../../pipelines/common/s3';

/**
 * Stores the labels of one feedback request (`POST /models/{model}/labels`, already validated) as one JSON lines object
 * under labels/<model>/feedback/<day>/, named by its time and a random id so two requests never share an object. The
 * quality job reads them like any other label object.
 */
export async function storeFeedbackLabels(
  s3: S3Client,
  bucket: string,
  model: string,
  body: FeedbackBody,
  now: Date = new Date(),
): Promise<FeedbackAcceptedView> {
  const objectKey = feedbackLabelsKey(model, now, randomUUID());
  const lines = body.labels.map((label) => `${JSON.stringify({ predictionId: label.predictionId, label: label.label })}\n`).join('');
  await putObject(s3, bucket, objectKey, lines, 'application/x-ndjson');
  return { model, accepted: body.labels.length, objectKey };
}
