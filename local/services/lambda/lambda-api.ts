import { functionArn } from '../../assembly/resource-identity';
import { json, type Route, type TwinRequest, type TwinResponse } from '../../http/twin-server';
import type { AliasState, FunctionConfiguration, LambdaService, ProvisionedConcurrency } from './lambda-service';
import { LambdaError } from './lambda-service';
import type { AsyncInvocations } from './async-invocations';
import type { Environment } from '../../assembly/resource-identity';
import { z } from 'zod';

/**
 * The subset of Lambda's REST API the platform's code and the SDK waiters use: Invoke, GetFunction,
 * Get/UpdateFunctionConfiguration, PublishVersion, ListVersionsByFunction, Create/Get/Update/DeleteAlias,
 * ListAliases (2015-03-31), and Put/Get/DeleteProvisionedConcurrencyConfig (2019-09-30).
 */
export function lambdaApiRoute(lambda: LambdaService, env: Environment, asyncInvocations: AsyncInvocations): Route {
  return async (request) => {
    const match = /^\/(2015-03-31|2019-09-30)\/functions\/([^/]+)(\/.*)?$/.exec(request.url.pathname);
    if (!match) return undefined;
    const name = decodeURIComponent(match[2]);
    const rest = match[3] ?? '';
    const qualifier = request.url.searchParams.get('Qualifier') ?? undefined;
    try {
      return await operation(lambda, env, request, name, rest, qualifier, asyncInvocations);
    } catch (err) {
      if (err instanceof LambdaError) return lambdaError(STATUS[err.code], err.code, err.message);
      if (err instanceof z.ZodError) return lambdaError(400, 'InvalidParameterValueException', err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      throw err;
    }
  };
}

const STATUS: Record<LambdaError['code'], number> = {
  ResourceNotFoundException: 404,
  ProvisionedConcurrencyConfigNotFoundException: 404,
  PreconditionFailedException: 412,
  ResourceConflictException: 409,
  InvalidParameterValueException: 400,
  ValidationException: 400,
};

const updateConfigurationSchema = z.object({
  Environment: z.object({ Variables: z.record(z.string(), z.string()).default({}) }).optional(),
  Timeout: z.number().int().min(1).max(900).optional(),
  MemorySize: z.number().int().min(128).max(10240).optional(),
  Description: z.string().optional(),
  Handler: z.string().optional(),
  RevisionId: z.string().optional(),
});
const routingSchema = z.object({ AdditionalVersionWeights: z.record(z.string(), z.number()).default({}) });
const createAliasSchema = z.object({
  Name: z.string().min(1),
  FunctionVersion: z.string().min(1),
  RoutingConfig: routingSchema.nullish(),
  Description: z.string().optional(),
});
const provisionedConcurrencySchema = z.object({ ProvisionedConcurrentExecutions: z.number().int().min(1) });
const updateAliasSchema = z.object({
  FunctionVersion: z.string().optional(),
  RoutingConfig: routingSchema.nullish(),
  Description: z.string().optional(),
  RevisionId: z.string().optional(),
});

async function operation(
  lambda: LambdaService,
  env: Environment,
  request: TwinRequest,
  name: string,
  rest: string,
  qualifier: string | undefined,
  asyncInvocations: AsyncInvocations,
): Promise<TwinResponse | undefined> {
  const body = () => (request.body.length ? JSON.parse(request.body.toString('utf8')) : {});
  const { state, qualifier: inName } = lambda.parseIdentifier(name);
  const q = qualifier ?? inName;
  if (rest === '/invocations' && request.method === 'POST') {
    const payload = request.body.length ? JSON.parse(request.body.toString('utf8')) : {};
    const type = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (type === 'DryRun') return { status: 204 };
    if (type === 'Event') {
      // Lambda's retries and dead-letter queue apply (see async-invocations.ts).
      asyncInvocations.invoke(qualifier !== undefined && inName === undefined ? `${name}:${qualifier}` : name, payload);
      return { status: 202, body: '' };
    }
    const { executedVersion, outcome } = await lambda.invoke(name, payload, q);
    return json(200, outcome.payload, {
      'x-amz-executed-version': executedVersion,
      ...(!outcome.ok && { 'x-amz-function-error': 'Unhandled' }),
    });
  }
  if (rest === '' && request.method === 'GET') {
    const config = lambda.configuration(state, lambda.resolveVersionExact(state, q));
    return json(200, {
      Configuration: configurationJson(config, env),
      Code: { RepositoryType: 'S3', Location: `file://${config.codeDirectory}` },
    });
  }
  if (rest === '/configuration' && request.method === 'GET') {
    return json(200, configurationJson(lambda.configuration(state, lambda.resolveVersionExact(state, q)), env));
  }
  if (rest === '/configuration' && request.method === 'PUT') {
    const update = updateConfigurationSchema.parse(body());
    const config = lambda.updateConfiguration(name, {
      environment: update.Environment?.Variables,
      timeoutSeconds: update.Timeout,
      memorySize: update.MemorySize,
      description: update.Description,
      handler: update.Handler,
    }, update.RevisionId);
    return json(200, configurationJson(config, env));
  }
  if (rest === '/versions' && request.method === 'POST') {
    const input = z.object({ Description: z.string().optional(), RevisionId: z.string().optional() }).parse(body());
    return json(201, configurationJson(lambda.publishVersion(name, input.Description, input.RevisionId), env));
  }
  if (rest === '/versions' && request.method === 'GET') {
    const versions = [state.latest, ...[...state.versions.values()].sort((a, b) => Number(a.version) - Number(b.version))];
    return json(200, { Versions: versions.map((v) => configurationJson(v, env)) });
  }
  if (rest === '/aliases' && request.method === 'POST') {
    const input = createAliasSchema.parse(body());
    const created = lambda.createAlias(name, {
      name: input.Name,
      functionVersion: input.FunctionVersion,
      additionalVersionWeights: input.RoutingConfig?.AdditionalVersionWeights,
      description: input.Description,
    });
    return json(201, aliasJson(state.latest.name, created, env));
  }
  if (rest === '/provisioned-concurrency') {
    if (request.method === 'PUT') {
      const input = provisionedConcurrencySchema.parse(body());
      return json(202, provisionedConcurrencyJson(lambda.putProvisionedConcurrency(name, q, input.ProvisionedConcurrentExecutions)));
    }
    if (request.method === 'GET') return json(200, provisionedConcurrencyJson(lambda.getProvisionedConcurrency(name, q)));
    if (request.method === 'DELETE') {
      lambda.deleteProvisionedConcurrency(name, q);
      return { status: 204 };
    }
  }
  if (rest === '/aliases' && request.method === 'GET') {
    return json(200, { Aliases: [...state.aliases.values()].map((a) => aliasJson(state.latest.name, a, env)) });
  }
  const alias = /^\/aliases\/([^/]+)$/.exec(rest);
  if (alias && request.method === 'GET') {
    const found = state.aliases.get(decodeURIComponent(alias[1]));
    if (!found) throw new LambdaError('ResourceNotFoundException', `Alias not found: ${state.latest.name}:${alias[1]}`);
    return json(200, aliasJson(state.latest.name, found, env));
  }
  if (alias && request.method === 'PUT') {
    const update = updateAliasSchema.parse(body());
    const updated = lambda.updateAlias(name, decodeURIComponent(alias[1]), {
      functionVersion: update.FunctionVersion,
      additionalVersionWeights: update.RoutingConfig === undefined ? undefined : (update.RoutingConfig?.AdditionalVersionWeights ?? {}),
      description: update.Description,
    }, update.RevisionId);
    return json(200, aliasJson(state.latest.name, updated, env));
  }
  if (alias && request.method === 'DELETE') {
    lambda.deleteAlias(name, decodeURIComponent(alias[1]));
    return { status: 204 };
  }
  return lambdaError(400, 'InvalidRequestContentException', `the twin does not emulate ${request.method} ${request.url.pathname}`);
}

function lambdaError(status: number, code: string, message: string): TwinResponse {
  return json(status, { Type: 'User', message }, { 'x-amzn-errortype': code });
}

function configurationJson(config: FunctionConfiguration, env: Environment) {
  return {
    FunctionName: config.name,
    FunctionArn: functionArn(env, config.name) + (config.version === '$LATEST' ? '' : `:${config.version}`),
    Runtime: config.runtime,
    Role: config.role,
    Handler: config.handler,
    Description: config.description,
    Timeout: config.timeoutSeconds,
    MemorySize: config.memorySize,
    LastModified: config.lastModified,
    CodeSha256: config.codeSha256,
    Version: config.version,
    RevisionId: config.revisionId,
    Environment: { Variables: config.environment },
    Layers: config.layers.map((l) => ({ Arn: l.arn })),
    ...(config.deadLetterTargetArn && { DeadLetterConfig: { TargetArn: config.deadLetterTargetArn } }),
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['x86_64'],
  };
}

/** Status READY at once: the twin has nothing to allocate, and its environments stay warm anyway. */
function provisionedConcurrencyJson(config: ProvisionedConcurrency) {
  return {
    RequestedProvisionedConcurrentExecutions: config.requested,
    AllocatedProvisionedConcurrentExecutions: config.requested,
    AvailableProvisionedConcurrentExecutions: config.requested,
    Status: 'READY',
    LastModified: config.lastModified,
  };
}

function aliasJson(functionName: string, alias: AliasState, env: Environment) {
  return {
    AliasArn: `${functionArn(env, functionName)}:${alias.name}`,
    Name: alias.name,
    FunctionVersion: alias.functionVersion,
    Description: alias.description,
    RevisionId: alias.revisionId,
    ...(Object.keys(alias.additionalVersionWeights).length && {
      RoutingConfig: { AdditionalVersionWeights: alias.additionalVersionWeights },
    }),
  };
}
