import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { accessPolicyFromEnv } from './access-policy-from-env';
import { handleApiRequest } from './api';
import { IAM_ROUTE_PREFIX } from '../../contracts/registry-api';
import { callerOfEvent } from './api-caller';
import type { Principal } from './caller';
import { replayAuditEvents } from './event-replay';
import { deploymentControlFromEnv } from '../deployment/deployment-control-from-env';
import { optionalEnv } from '../shared/env';
import { arnScopeOf } from './registry-events';
import { registryFromEnv } from './registry-from-env';
import { startTrainingRun } from './training-runs';
import type { FeedbackBody } from '../../contracts/ground-truth';
import { createS3Client } from '../../pipelines/common/s3';
import { storeFeedbackLabels } from '../quality/feedback-labels';

const logger = new Logger();
const access = accessPolicyFromEnv();
const registry = registryFromEnv({ allowSelfApproval: access.allowSelfApproval });
const deployments = deploymentControlFromEnv(registry);
const servedModel = optionalEnv('MODEL_NAME', '') || undefined;
const eventBusName = optionalEnv('EVENT_BUS_NAME', '') || undefined;
const eventBridge = new EventBridgeClient({});
const trainingStateMachineArn = optionalEnv('TRAINING_STATE_MACHINE_ARN', '') || undefined;
const sfn = new SFNClient({});
const artifactBucket = optionalEnv('ARTIFACT_BUCKET', '') || undefined;
const s3 = createS3Client();
// Set by ModelQuality.acceptFeedback (lib/model-quality.ts), with write access to the labels prefix only.
const storeLabels = artifactBucket ? (model: string, body: FeedbackBody) => storeFeedbackLabels(s3, artifactBucket, model, body) : undefined;
const startRun = trainingStateMachineArn
  ? (body: unknown, requestedBy: Principal) => startTrainingRun(sfn, trainingStateMachineArn, body, requestedBy)
  : undefined;

/** Approval API (HTTP API, payload 2.0): JWT-authorized routes, and the same routes under /iam for SigV4 callers. */
export const handler = async (event: APIGatewayProxyEventV2WithJWTAuthorizer | APIGatewayProxyEventV2WithIAMAuthorizer, context?: Context) => {
  const { http, stage } = event.requestContext;
  // A named stage prefixes rawPath; routes are defined without it. IAM routes mirror the others under /iam.
  const staged = stage && stage !== '$default' ? event.rawPath.replace(new RegExp(`^/${stage}(?=/)`), '') : event.rawPath;
  const onIamRoute = staged.startsWith(`${IAM_ROUTE_PREFIX}/`);
  const path = onIamRoute ? staged.slice(IAM_ROUTE_PREFIX.length) : staged;
  const body = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  // Replayed events name model packages in this function's partition, region and account, as the stream publisher's do.
  const replayEvents =
    eventBusName && context
      ? async (model: string, selection: unknown) =>
          replayAuditEvents(model, await registry.auditTrail(model), selection, { eventBusName, scope: arnScopeOf(context.invokedFunctionArn) }, (entries) =>
            eventBridge.send(new PutEventsCommand({ Entries: entries })),
          )
      : undefined;
  try {
    const caller = callerOfEvent(event, access, onIamRoute);
    const response = await handleApiRequest({ registry, access, deployments, servedModel, replayEvents, startRun, storeLabels }, { method: http.method, path, body, caller });
    logger.info('request', { method: http.method, path, statusCode: response.statusCode, caller: caller && { issuer: caller.issuer, subject: caller.subject } });
    return response;
  } catch (err) {
    logger.error('request failed', { method: http.method, path, error: err as Error });
    return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'InternalError', message: 'internal error; see the function logs' }) };
  }
};
