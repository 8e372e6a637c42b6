import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import { localizeUrls } from '../../assembly/synthesized-app';
import { functionArn } from '../../assembly/resource-identity';
import { stringify } from '../../assembly/intrinsics';
import { awsClientEnvironment, hostBasics, type ServiceEndpoints } from '../aws-environment';
import { type InvocationOutcome, WorkerPool } from './worker-pool';

/** A function's configuration as Lambda reports it; a published version freezes one of these. */
export interface FunctionConfiguration {
  readonly name: string;
  readonly version: string;
  readonly handler: string;
  readonly runtime: string;
  readonly role: string;
  readonly description: string;
  readonly codeDirectory: string;
  readonly codeSha256: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly environment: Record<string, string>;
  /** Layer ARNs and the directories whose `nodejs/node_modules` they contribute. */
  readonly layers: ReadonlyArray<{ arn: string; directory: string }>;
  readonly lastModified: string;
}

export interface AliasState {
  readonly name: string;
  functionVersion: string;
  /** Extra versions and their share of traffic (RoutingConfig.AdditionalVersionWeights). */
  additionalVersionWeights: Record<string, number>;
  description: string;
  revisionId: string;
}

export interface FunctionState {
  latest: FunctionConfiguration;
  readonly versions: Map<string, FunctionConfiguration>;
  readonly aliases: Map<string, AliasState>;
}

export interface Invocation {
  readonly executedVersion: string;
  readonly outcome: InvocationOutcome;
}

export class LambdaError extends Error {
  constructor(
    readonly code: 'ResourceNotFoundException' | 'InvalidParameterValueException' | 'ResourceConflictException',
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export type FunctionLogSink = (functionName: string, version: string, line: string) => void;

/** One finished invocation, for the platform metrics Lambda publishes (AWS/Lambda). */
export interface InvocationRecord {
  readonly functionName: string;
  /** The qualifier the caller used (alias or version), if any. */
  readonly qualifier?: string;
  readonly executedVersion: string;
  readonly durationMs: number;
  readonly error: boolean;
}

/**
 * AWS::Lambda::Function, ::Version, ::Alias and ::LayerVersion from the templates, run as warm child processes that
 * load the bundled asset from cdk.out. Versions freeze the configuration; aliases route by weight like Lambda.
 */
export class LambdaService {
  readonly functions = new Map<string, FunctionState>();
  private readonly pools = new Map<string, WorkerPool>();

  constructor(
    private readonly app: SynthesizedApp,
    private readonly endpoints: ServiceEndpoints,
    private readonly workDirectory: string,
    private readonly onLog: FunctionLogSink,
    private readonly onInvocation: (record: InvocationRecord) => void = () => undefined,
  ) {
    const layers = new Map<string, string>();
    for (const { stack, logicalId } of app.resourcesOfType('AWS::Lambda::LayerVersion')) {
      const content = stack.properties(logicalId).Content as { S3Key?: string };
      if (content?.S3Key) layers.set(stack.ref(logicalId), app.assembly.fileAsset(content.S3Key).path);
    }
    for (const { stack, logicalId } of app.resourcesOfType('AWS::Lambda::Function')) {
      const props = stack.properties(logicalId);
      const name = stack.ref(logicalId);
      const code = props.Code as { S3Key?: string; ZipFile?: string; ImageUri?: string };
      const variables = ((props.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {}) as Record<string, unknown>;
      const latest: FunctionConfiguration = {
        name,
        version: '$LATEST',
        handler: String(props.Handler ?? 'index.handler'),
        runtime: String(props.Runtime ?? 'nodejs22.x'),
        role: stringify(props.Role),
        description: stringify(props.Description),
        codeDirectory: this.codeDirectory(name, code),
        codeSha256: createHash('sha256').update(JSON.stringify(code)).digest('base64'),
        timeoutSeconds: Number(props.Timeout ?? 3),
        memorySize: Number(props.MemorySize ?? 128),
        environment: localizeUrls(Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, stringify(v)])), app.env),
        layers: ((props.Layers as string[] | undefined) ?? []).map((arn) => {
          const directory = layers.get(arn);
          if (!directory) throw new Error(`function ${name}: layer ${arn} is not a layer asset of this app`);
          return { arn, directory };
        }),
        lastModified: new Date().toISOString(),
      };
      this.functions.set(name, { latest, versions: new Map(), aliases: new Map() });
    }
    for (const { stack, logicalId } of app.resourcesOfType('AWS::Lambda::Version')) {
      const props = stack.properties(logicalId);
      const state = this.state(String(props.FunctionName));
      const version = String(stack.getAtt(logicalId, 'Version'));
      state.versions.set(version, { ...state.latest, version, description: stringify(props.Description) });
    }
    for (const { stack, logicalId } of app.resourcesOfType('AWS::Lambda::Alias')) {
      const props = stack.properties(logicalId);
      const state = this.state(String(props.FunctionName));
      const routing = props.RoutingConfig as { AdditionalVersionWeights?: Array<{ FunctionVersion: string; FunctionWeight: number }> };
      state.aliases.set(String(props.Name), {
        name: String(props.Name),
        functionVersion: String(props.FunctionVersion),
        additionalVersionWeights: Object.fromEntries(
          (routing?.AdditionalVersionWeights ?? []).map((w) => [String(w.FunctionVersion), Number(w.FunctionWeight)]),
        ),
        description: stringify(props.Description),
        revisionId: randomUUID(),
      });
    }
  }

  /** The function of a name, partial or full ARN (with or without a qualifier), and the qualifier it carries. */
  parseIdentifier(identifier: string): { state: FunctionState; qualifier?: string } {
    let name = identifier;
    let qualifier: string | undefined;
    if (identifier.startsWith('arn:')) {
      const parts = identifier.split(':');
      name = parts[6];
      qualifier = parts[7];
    } else if (identifier.includes(':')) {
      [name, qualifier] = identifier.split(':');
    }
    return { state: this.state(name), qualifier };
  }

  state(nameOrArn: string): FunctionState {
    const name = nameOrArn.startsWith('arn:') ? nameOrArn.split(':')[6] : nameOrArn;
    const state = this.functions.get(name);
    if (!state) throw new LambdaError('ResourceNotFoundException', `Function not found: ${functionArn(this.app.env, name)}`);
    return state;
  }

  /** The version an invocation of `qualifier` runs: an alias picks by its weights, as Lambda does per request. */
  resolveVersion(state: FunctionState, qualifier = '$LATEST'): string {
    if (qualifier === '$LATEST' || state.versions.has(qualifier)) return qualifier;
    const alias = state.aliases.get(qualifier);
    if (!alias) {
      throw new LambdaError('ResourceNotFoundException', `Function not found: ${functionArn(this.app.env, state.latest.name)}:${qualifier}`);
    }
    let draw = Math.random();
    for (const [version, weight] of Object.entries(alias.additionalVersionWeights)) {
      if (draw < weight) return version;
      draw -= weight;
    }
    return alias.functionVersion;
  }

  /** The version a read (GetFunction, GetFunctionConfiguration) of `qualifier` describes: an alias's main version. */
  resolveVersionExact(state: FunctionState, qualifier = '$LATEST'): string {
    const alias = state.aliases.get(qualifier);
    return alias ? alias.functionVersion : qualifier;
  }

  configuration(state: FunctionState, version: string): FunctionConfiguration {
    if (version === '$LATEST') return state.latest;
    const config = state.versions.get(version);
    if (!config) throw new LambdaError('ResourceNotFoundException', `Function not found: ${state.latest.name}:${version}`);
    return config;
  }

  async invoke(identifier: string, event: unknown, explicitQualifier?: string): Promise<Invocation> {
    const { state, qualifier } = this.parseIdentifier(identifier);
    const version = this.resolveVersion(state, explicitQualifier ?? qualifier);
    const config = this.configuration(state, version);
    const invokedArn = functionArn(this.app.env, config.name) + (explicitQualifier ?? qualifier ? `:${explicitQualifier ?? qualifier}` : '');
    const started = performance.now();
    const outcome = await this.pool(config).invoke(event, invokedArn);
    this.onInvocation({
      functionName: config.name,
      qualifier: explicitQualifier ?? qualifier,
      executedVersion: version,
      durationMs: performance.now() - started,
      error: !outcome.ok,
    });
    return { executedVersion: version, outcome };
  }

  updateConfiguration(
    identifier: string,
    update: { environment?: Record<string, string>; timeoutSeconds?: number; memorySize?: number; description?: string; handler?: string },
  ): FunctionConfiguration {
    const { state } = this.parseIdentifier(identifier);
    state.latest = {
      ...state.latest,
      ...(update.environment !== undefined && { environment: update.environment }),
      ...(update.timeoutSeconds !== undefined && { timeoutSeconds: update.timeoutSeconds }),
      ...(update.memorySize !== undefined && { memorySize: update.memorySize }),
      ...(update.description !== undefined && { description: update.description }),
      ...(update.handler !== undefined && { handler: update.handler }),
      lastModified: new Date().toISOString(),
    };
    // A configuration change gives $LATEST fresh environments, as Lambda does.
    this.stopPool(`${state.latest.name}:$LATEST`);
    return state.latest;
  }

  /** PublishVersion: a new version from $LATEST, or the newest one when nothing changed since it (as Lambda does). */
  publishVersion(identifier: string, description?: string): FunctionConfiguration {
    const { state } = this.parseIdentifier(identifier);
    const numbers = [...state.versions.keys()].map(Number);
    const newest = numbers.length ? state.versions.get(String(Math.max(...numbers))) : undefined;
    if (newest && sameCodeAndConfiguration(newest, state.latest)) return newest;
    const version = String(numbers.length ? Math.max(...numbers) + 1 : 1);
    const published = { ...state.latest, version, description: description ?? state.latest.description };
    state.versions.set(version, published);
    return published;
  }

  updateAlias(
    identifier: string,
    aliasName: string,
    update: { functionVersion?: string; additionalVersionWeights?: Record<string, number>; description?: string },
  ): AliasState {
    const { state } = this.parseIdentifier(identifier);
    const alias = state.aliases.get(aliasName);
    if (!alias) throw new LambdaError('ResourceNotFoundException', `Alias not found: ${state.latest.name}:${aliasName}`);
    for (const version of [update.functionVersion, ...Object.keys(update.additionalVersionWeights ?? {})]) {
      if (version !== undefined && version !== '$LATEST' && !state.versions.has(version)) {
        throw new LambdaError('ResourceNotFoundException', `Function not found: ${state.latest.name}:${version}`);
      }
    }
    const weights = update.additionalVersionWeights ?? alias.additionalVersionWeights;
    const total = Object.values(weights).reduce((a, b) => a + b, 0);
    if (total > 1 || Object.values(weights).some((w) => w < 0)) {
      throw new LambdaError('InvalidParameterValueException', `additional version weights must be in [0, 1] and sum to at most 1, got ${JSON.stringify(weights)}`);
    }
    if (update.functionVersion !== undefined) alias.functionVersion = update.functionVersion;
    if (update.additionalVersionWeights !== undefined) alias.additionalVersionWeights = update.additionalVersionWeights;
    if (update.description !== undefined) alias.description = update.description;
    alias.revisionId = randomUUID();
    return alias;
  }

  stop(): void {
    for (const key of [...this.pools.keys()]) this.stopPool(key);
  }

  private pool(config: FunctionConfiguration): WorkerPool {
    const key = `${config.name}:${config.version}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new WorkerPool({
        env: this.processEnvironment(config),
        timeoutSeconds: config.timeoutSeconds,
        onLogLine: (line) => this.onLog(config.name, config.version, line),
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  private stopPool(key: string): void {
    this.pools.get(key)?.stop();
    this.pools.delete(key);
  }

  /** What the Lambda runtime puts in a function's environment, then the function's own variables. */
  private processEnvironment(config: FunctionConfiguration): Record<string, string> {
    const nodePath = config.layers.map((l) => join(l.directory, 'nodejs', 'node_modules'));
    return {
      ...hostBasics(),
      ...awsClientEnvironment(this.endpoints, this.app.env.region),
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: config.codeDirectory,
      _HANDLER: config.handler,
      AWS_EXECUTION_ENV: `AWS_Lambda_${config.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: config.name,
      AWS_LAMBDA_FUNCTION_VERSION: config.version,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memorySize),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${config.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[${config.version}]${randomUUID().replace(/-/g, '')}`,
      ...(nodePath.length ? { NODE_PATH: nodePath.join(':') } : {}),
      ...config.environment,
    };
  }

  private codeDirectory(name: string, code: { S3Key?: string; ZipFile?: string; ImageUri?: string }): string {
    if (code.S3Key) return this.app.assembly.fileAsset(code.S3Key).path;
    if (code.ZipFile !== undefined) {
      const directory = join(this.workDirectory, 'inline-code', name);
      mkdirSync(directory, { recursive: true });
      writeFileSync(join(directory, 'index.js'), code.ZipFile);
      return directory;
    }
    throw new Error(`function ${name}: only Zip packages (Code.S3Key or Code.ZipFile) run in the twin, got ${JSON.stringify(code)}`);
  }
}

function sameCodeAndConfiguration(a: FunctionConfiguration, b: FunctionConfiguration): boolean {
  const key = (c: FunctionConfiguration) =>
    JSON.stringify([c.codeSha256, c.handler, c.runtime, c.timeoutSeconds, c.memorySize, c.environment, c.layers.map((l) => l.arn)]);
  return key(a) === key(b);
}
