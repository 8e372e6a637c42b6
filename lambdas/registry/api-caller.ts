import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import type { AccessPolicy } from '../../contracts/access-policy';
import { type Caller, callerFromClaims, callerFromIamArn } from './caller';

/**
 * The caller API Gateway authenticated: the JWT authorizer's claims, or on an /iam route the SigV4 signer's assumed
 * role. Only what the authorizer put in the request context counts; nothing in the body or headers does.
 */
export function callerOfEvent(
  event: APIGatewayProxyEventV2WithJWTAuthorizer | APIGatewayProxyEventV2WithIAMAuthorizer,
  policy: AccessPolicy,
  onIamRoute: boolean,
): Caller | undefined {
  const authorizer = event.requestContext.authorizer as { jwt?: { claims?: unknown }; iam?: { userArn?: string } } | undefined;
  if (onIamRoute) return authorizer?.iam?.userArn ? callerFromIamArn(authorizer.iam.userArn, policy) : undefined;
  return authorizer?.jwt?.claims ? callerFromClaims(authorizer.jwt.claims, policy) : undefined;
}
