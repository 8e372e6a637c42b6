import { z } from 'zod';

/** A CloudFormation custom resource request (the event CloudFormation sends to the resource's Lambda). */
export const customResourceEventSchema = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.url(),
  StackId: z.string().min(1),
  RequestId: z.string().min(1),
  LogicalResourceId: z.string().min(1),
  PhysicalResourceId: z.string().optional(),
  ResourceType: z.string().min(1),
  ResourceProperties: z.record(z.string(), z.unknown()),
  OldResourceProperties: z.record(z.string(), z.unknown()).optional(),
});
export type CustomResourceEvent = z.infer<typeof customResourceEventSchema>;

/** CloudFormation shows a custom resource's Reason in the stack events; it accepts up to 4 KiB of response. */
const MAX_REASON_CHARS = 2000;

export interface CustomResourceOutcome {
  physicalResourceId: string;
  data?: Record<string, string>;
}

/**
 * Runs `work` for a custom resource request and answers CloudFormation with an HTTPS PUT of the response to the
 * presigned ResponseURL — SUCCESS with the physical id and data, or FAILED with the error's message, so a failure
 * fails the stack operation at once instead of CloudFormation waiting an hour for an answer.
 */
export async function answerCustomResource(event: CustomResourceEvent, work: () => Promise<CustomResourceOutcome>): Promise<CustomResourceOutcome | Error> {
  let outcome: CustomResourceOutcome | Error;
  try {
    outcome = await work();
  } catch (err) {
    outcome = err instanceof Error ? err : new Error(String(err));
  }
  const body = JSON.stringify(
    outcome instanceof Error
      ? {
          Status: 'FAILED',
          Reason: `${outcome.name}: ${outcome.message}`.slice(0, MAX_REASON_CHARS),
          // A failed create has no resource yet; CloudFormation needs some id, and the request id is unique.
          PhysicalResourceId: event.PhysicalResourceId ?? event.RequestId,
          StackId: event.StackId,
          RequestId: event.RequestId,
          LogicalResourceId: event.LogicalResourceId,
        }
      : {
          Status: 'SUCCESS',
          Reason: 'ok',
          PhysicalResourceId: outcome.physicalResourceId,
          StackId: event.StackId,
          RequestId: event.RequestId,
          LogicalResourceId: event.LogicalResourceId,
          Data: outcome.data,
        },
  );
  // The presigned URL is signed without a content type: sending one would break the signature.
  const response = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
  if (!response.ok) throw new Error(`CloudFormation refused the custom resource response: HTTP ${response.status} ${await response.text()}`);
  return outcome;
}
