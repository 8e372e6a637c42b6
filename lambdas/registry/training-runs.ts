import { randomBytes } from 'node:crypto';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import type { Principal } from './caller';
import { parseInput } from './parse-input';

/** What a person asks for when starting a training run (`POST /models/{model}/runs`, `mlops runs start`). */
const runRequestSchema = z
  .object({
    reason: z.string().trim().min(1, 'reason is required: it is the run record').max(500, 'reason must be at most 500 characters'),
    /** Another dataset than the team config's (an s3:// URI of a CSV or Parquet object or prefix). */
    datasetUri: z.string().regex(/^s3:\/\/[^/]+\/.+$/, 'expected an s3://bucket/key URI').optional(),
  })
  .strict();

export interface StartedRun {
  executionArn: string;
  executionName: string;
  startDate: string;
}

/**
 * Starts the training pipeline for a signed-in person: a `manual-<UTC time>-<random>` execution (a valid SageMaker job
 * name) whose input names them as `requestedBy`, which the Register step records as the version's registrant. Only the
 * approval API may start manual runs with a requester, so the name in the record is the token's, not a claim.
 */
export async function startTrainingRun(sfn: SFNClient, stateMachineArn: string, body: unknown, requestedBy: Principal, now = new Date()): Promise<StartedRun> {
  const request = parseInput(runRequestSchema, body, 'body');
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').replace('T', '-');
  const executionName = `manual-${stamp}-${randomBytes(3).toString('hex')}`;
  const { executionArn, startDate } = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn,
      name: executionName,
      input: JSON.stringify({ trigger: 'manual', reason: request.reason, ...(request.datasetUri && { datasetUri: request.datasetUri }), requestedBy }),
    }),
  );
  return { executionArn: executionArn!, executionName, startDate: (startDate ?? now).toISOString() };
}
