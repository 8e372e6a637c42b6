import { z } from 'zod';

/**
 * The messages CloudFormation exchanges with a custom resource's Lambda function: the request event it invokes the
 * function with, and the response body the function PUTs to the event's ResponseURL.
 */

export type RequestType = 'Create' | 'Update' | 'Delete';

export interface CustomResourceRequest {
  readonly RequestType: RequestType;
  readonly ServiceToken: string;
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly PhysicalResourceId?: string;
  readonly OldResourceProperties?: Record<string, unknown>;
}

export const responseSchema = z.object({
  Status: z.enum(['SUCCESS', 'FAILED']),
  Reason: z.string().optional(),
  PhysicalResourceId: z.string().min(1).max(1024),
  StackId: z.string(),
  RequestId: z.string(),
  LogicalResourceId: z.string(),
  NoEcho: z.boolean().optional(),
  Data: z.record(z.string(), z.unknown()).optional(),
});
export type CustomResourceResponse = z.infer<typeof responseSchema>;

/** CloudFormation hands a custom resource every scalar as a string (`5` arrives as `"5"`, `true` as `"true"`). */
export function asRequestProperties(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(asRequestProperties);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asRequestProperties(v)]));
  return value;
}

/**
 * What a PUT to the ResponseURL said, checked as CloudFormation checks it: a body that is not the response object, or
 * one that answers another request, is a failure with CloudFormation's reason.
 */
export function parseResponse(body: string, request: CustomResourceRequest): CustomResourceResponse {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return failed(request, 'Invalid response object: the body is not JSON');
  }
  const parsed = responseSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return failed(request, `Invalid response object: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  for (const field of ['StackId', 'RequestId', 'LogicalResourceId'] as const) {
    if (parsed.data[field] !== request[field]) return failed(request, `Invalid response object: ${field} ${parsed.data[field]} does not match the request's ${request[field]}`);
  }
  return parsed.data;
}

export function failed(request: CustomResourceRequest, reason: string): CustomResourceResponse {
  return {
    Status: 'FAILED',
    Reason: reason,
    PhysicalResourceId: request.PhysicalResourceId ?? request.LogicalResourceId,
    StackId: request.StackId,
    RequestId: request.RequestId,
    LogicalResourceId: request.LogicalResourceId,
  };
}
