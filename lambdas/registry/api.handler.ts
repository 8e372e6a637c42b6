import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { actorFromClaims, handleApiRequest } from './api';
import { deploymentControlFromEnv } from '../deployment/deployment-control-from-env';
import { optionalEnv } from '../shared/env';
import { registryFromEnv } from './registry-from-env';

const logger = new Logger();
const registry = registryFromEnv();
const deployments = deploymentControlFromEnv(registry);
const servedModel = optionalEnv('MODEL_NAME', '') || undefined;

/** Approval API (HTTP API, payload 2.0, JWT authorizer). */
export const handler = async (event: APIGatewayProxyEventV2WithJWTAuthorizer) => {
  const { http, stage } = event.requestContext;
  // A named stage prefixes rawPath; routes are defined without it.
  const path = stage && stage !== '$default' ? event.rawPath.replace(new RegExp(`^/${stage}(?=/)`), '') : event.rawPath;
  const body = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    const response = await handleApiRequest({ registry, deployments, servedModel }, {
      method: http.method,
      path,
      body,
      actor: actorFromClaims(event.requestContext.authorizer?.jwt?.claims),
    });
    logger.info('request', { method: http.method, path, statusCode: response.statusCode });
    return response;
  } catch (err) {
    logger.error('request failed', { method: http.method, path, error: err as Error });
    return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'InternalError', message: 'internal error; see the function logs' }) };
  }
};
