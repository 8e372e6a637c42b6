import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { ChangeSet } from '../../assembly/change-set';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import { functionArn } from '../../assembly/resource-identity';
import { type StackResolver, stringify } from '../../assembly/intrinsics';
import { awsClientEnvironment, hostBasics, type ServiceEndpoints } from '../aws-environment';
import { aliasFromTemplate, functionFromTemplate, layerDirectories, provisionedExecutions } from './function-template';
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
  /** Changes with every change of the configuration; UpdateFunctionConfiguration and PublishVersion may require it. */
  readonly revisionId: string;
  /** DeadLetterConfig.TargetArn: where asynchronous invocations that failed every attempt go. */
  readonly deadLetterTargetArn?: string;
}

export interface AliasState {
  readonly name: string;
  functionVersion: string;
  /** Extra versions and their share of traffic (RoutingConfig.AdditionalVersionWeights). */
  additionalVersionWeights: Record<string, number>;
  description: string;
  revisionId: string;
}

/** PutProvisionedConcurrencyConfig's record: the twin keeps environments warm anyway, so it has no other effect. */
export interface ProvisionedConcurrency {
  readonly requested: number;
  readonly lastModified: string;
}

export interface FunctionState {
  latest: FunctionConfiguration;
  readonly versions: Map<string, FunctionConfiguration>;
  readonly aliases: Map<string, AliasState>;
  /** By qualifier (a version number or an alias name). */
  readonly provisionedConcurrency: Map<string, ProvisionedConcurrency>;
}

export interface Invocation {
  readonly executedVersion: string;
  readonly outcome: InvocationOutcome;
}

export class LambdaError extends Error {
  constructor(
    readonly code:
      | 'ResourceNotFoundException'
      | 'InvalidParameterValueException'
      | 'ResourceConflictException'
      | 'ProvisionedConcurrencyConfigNotFoundException'
      | 'PreconditionFailedException'
      | 'ValidationException',
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
  /** Crashes made to happen (crashInvocations), by function name. */
  private readonly crashes = new Map<string, (event: unknown) => boolean>();
  private layers: ReadonlyMap<string, string>;

  constructor(
    private app: SynthesizedApp,
    private readonly endpoints: ServiceEndpoints,
    private readonly workDirectory: string,
    private readonly onLog: FunctionLogSink,
    private readonly onInvocation: (record: InvocationRecord) => void = () => undefined,
  ) {
    this.layers = layerDirectories(app);
    for (const { stack, logicalId } of app.resourcesOfType('AWS::Lambda::Function')) this.createFunction(stack, logicalId);
    for (const { stack, logicalId } of app.resourcesOfType('AWS::Lambda::Version')) this.createVersion(stack, logicalId);
    for (const { stack, logicalId } of app.resourcesOfType('AWS::Lambda::Alias')) this.applyAlias(stack, logicalId);
  }

  /**
   * The creates and updates of a stack update, as CloudFormation applies them to Lambda: a changed function updates
   * $LATEST in place (its warm environments retire once idle; published versions are untouched); a new or replaced
   * Version publishes the number the change set assigned; a new or changed Alias is set to exactly what its
   * template says (FunctionVersion, RoutingConfig), whatever moved it since. Deletions wait for `cleanUp`.
   */
  reconcile(changes: ChangeSet): void {
    this.app = changes.newApp;
    this.layers = layerDirectories(this.app);
    const live = (type: string) => changes.ofType(type).filter((c) => c.action !== 'delete').map((c) => ({ stack: changes.newApp.stack(c.stackName)!, change: c }));
    for (const { stack, change } of live('AWS::Lambda::Function')) {
      if (change.action === 'update' && this.functions.has(stack.ref(change.logicalId))) this.updateFunction(stack, change.logicalId);
      else this.createFunction(stack, change.logicalId);
    }
    for (const { stack, change } of live('AWS::Lambda::Version')) {
      if (change.action === 'update') this.setProvisionedConcurrency(stack, change.logicalId, String(stack.getAtt(change.logicalId, 'Version')));
      else this.createVersion(stack, change.logicalId);
    }
    for (const { stack, change } of live('AWS::Lambda::Alias')) this.applyAlias(stack, change.logicalId);
  }

  /** The deletions of a stack update, once everything else succeeded: aliases, then versions, then functions. */
  cleanUp(changes: ChangeSet): void {
    const gone = (type: string) =>
      changes
        .ofType(type)
        .filter((c) => (c.action === 'delete' || c.action === 'replace') && !c.retained)
        .map((c) => ({ stack: changes.oldApp.stack(c.stackName)!, change: c }));
    for (const { stack, change } of gone('AWS::Lambda::Alias')) {
      const props = stack.properties(change.logicalId);
      // A replaced alias under the same name is the new one: only a renamed alias leaves an old one to delete.
      const replacement = change.action === 'replace' ? changes.newApp.stack(change.stackName)!.properties(change.logicalId) : undefined;
      if (replacement && replacement.Name === props.Name && replacement.FunctionName === props.FunctionName) continue;
      this.deleteAlias(String(props.FunctionName), String(props.Name));
    }
    for (const { stack, change } of gone('AWS::Lambda::Version')) {
      const state = this.functions.get(String(stack.getAtt(change.logicalId, 'FunctionArn')).split(':')[6]);
      const version = String(stack.getAtt(change.logicalId, 'Version'));
      if (!state?.versions.delete(version)) continue;
      state.provisionedConcurrency.delete(version);
      this.retirePool(`${state.latest.name}:${version}`);
    }
    for (const { stack, change } of gone('AWS::Lambda::Function')) {
      if (change.action === 'replace') continue; // same physical name in the twin: the new function already took its place
      const name = stack.ref(change.logicalId);
      const state = this.functions.get(name);
      if (!state) continue;
      this.functions.delete(name);
      for (const version of ['$LATEST', ...state.versions.keys()]) this.retirePool(`${name}:${version}`);
    }
  }

  /** The highest version number Lambda has published for a function (0 when none or no such function). */
  latestVersionNumber(functionName: string): number {
    const numbers = [...(this.functions.get(functionName)?.versions.keys() ?? [])].map(Number);
    return numbers.length ? Math.max(...numbers) : 0;
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

  /**
   * Fault injection for the tests of error paths: until the returned function is called, the invocations of
   * `functionName` whose event `when` picks fail as when Lambda's environment dies under the handler (killed out of
   * memory): a function error `Runtime.ExitError`, the handler not run. Only a test or a drill calls this.
   */
  crashInvocations(functionName: string, when: (event: unknown) => boolean = () => true): () => void {
    this.crashes.set(functionName, when);
    return () => this.crashes.delete(functionName);
  }

  async invoke(identifier: string, event: unknown, explicitQualifier?: string): Promise<Invocation> {
    const { state, qualifier } = this.parseIdentifier(identifier);
    const version = this.resolveVersion(state, explicitQualifier ?? qualifier);
    const config = this.configuration(state, version);
    const invokedArn = functionArn(this.app.env, config.name) + (explicitQualifier ?? qualifier ? `:${explicitQualifier ?? qualifier}` : '');
    const started = performance.now();
    const outcome: InvocationOutcome = this.crashes.get(config.name)?.(event)
      ? { ok: false, payload: { errorType: 'Runtime.ExitError', errorMessage: 'Error: Runtime exited with error: signal: killed' } }
      : await this.pool(config).invoke(event, invokedArn);
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
    expectedRevisionId?: string,
  ): FunctionConfiguration {
    const { state } = this.parseIdentifier(identifier);
    requireRevision(state.latest.revisionId, expectedRevisionId, 'function');
    state.latest = {
      ...state.latest,
      ...(update.environment !== undefined && { environment: update.environment }),
      ...(update.timeoutSeconds !== undefined && { timeoutSeconds: update.timeoutSeconds }),
      ...(update.memorySize !== undefined && { memorySize: update.memorySize }),
      ...(update.description !== undefined && { description: update.description }),
      ...(update.handler !== undefined && { handler: update.handler }),
      lastModified: new Date().toISOString(),
      revisionId: randomUUID(),
    };
    // A configuration change gives $LATEST fresh environments, as Lambda does; invocations under way finish first.
    this.retirePool(`${state.latest.name}:$LATEST`);
    return state.latest;
  }

  /** PublishVersion: a new version from $LATEST, or the newest one when nothing changed since it (as Lambda does). */
  publishVersion(identifier: string, description?: string, expectedRevisionId?: string): FunctionConfiguration {
    const { state } = this.parseIdentifier(identifier);
    requireRevision(state.latest.revisionId, expectedRevisionId, 'function');
    const numbers = [...state.versions.keys()].map(Number);
    const newest = numbers.length ? state.versions.get(String(Math.max(...numbers))) : undefined;
    if (newest && sameCodeAndConfiguration(newest, state.latest)) return newest;
    const version = String(numbers.length ? Math.max(...numbers) + 1 : 1);
    const published = { ...state.latest, version, description: description ?? state.latest.description, revisionId: randomUUID() };
    state.versions.set(version, published);
    return published;
  }

  /** CreateAlias: a new alias of a published version (or $LATEST), with optional weighted routing. */
  createAlias(
    identifier: string,
    alias: { name: string; functionVersion: string; additionalVersionWeights?: Record<string, number>; description?: string },
  ): AliasState {
    const { state } = this.parseIdentifier(identifier);
    if (!/^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$/.test(alias.name)) {
      throw new LambdaError('ValidationException', `1 validation error detected: Value '${alias.name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)`);
    }
    if (state.aliases.has(alias.name)) {
      throw new LambdaError('ResourceConflictException', `Alias already exists: ${functionArn(this.app.env, state.latest.name)}:${alias.name}`);
    }
    const weights = alias.additionalVersionWeights ?? {};
    this.checkRouting(state, alias.functionVersion, weights);
    const created: AliasState = {
      name: alias.name,
      functionVersion: alias.functionVersion,
      additionalVersionWeights: weights,
      description: alias.description ?? '',
      revisionId: randomUUID(),
    };
    state.aliases.set(alias.name, created);
    return created;
  }

  updateAlias(
    identifier: string,
    aliasName: string,
    update: { functionVersion?: string; additionalVersionWeights?: Record<string, number>; description?: string },
    expectedRevisionId?: string,
  ): AliasState {
    const { state } = this.parseIdentifier(identifier);
    const alias = state.aliases.get(aliasName);
    if (!alias) throw new LambdaError('ResourceNotFoundException', `Alias not found: ${functionArn(this.app.env, state.latest.name)}:${aliasName}`);
    requireRevision(alias.revisionId, expectedRevisionId, 'alias');
    this.checkRouting(state, update.functionVersion ?? alias.functionVersion, update.additionalVersionWeights ?? alias.additionalVersionWeights);
    if (update.functionVersion !== undefined) alias.functionVersion = update.functionVersion;
    if (update.additionalVersionWeights !== undefined) alias.additionalVersionWeights = update.additionalVersionWeights;
    if (update.description !== undefined) alias.description = update.description;
    alias.revisionId = randomUUID();
    return alias;
  }

  /** DeleteAlias: Lambda answers success when the alias does not exist; its provisioned concurrency goes with it. */
  deleteAlias(identifier: string, aliasName: string): void {
    const { state } = this.parseIdentifier(identifier);
    state.aliases.delete(aliasName);
    state.provisionedConcurrency.delete(aliasName);
  }

  /** PutProvisionedConcurrencyConfig on a published version or an alias (never $LATEST), recorded READY at once. */
  putProvisionedConcurrency(identifier: string, qualifier: string | undefined, executions: number): ProvisionedConcurrency {
    const { state } = this.parseIdentifier(identifier);
    this.provisionableQualifier(state, qualifier);
    const config = { requested: executions, lastModified: new Date().toISOString() };
    state.provisionedConcurrency.set(qualifier!, config);
    return config;
  }

  getProvisionedConcurrency(identifier: string, qualifier: string | undefined): ProvisionedConcurrency {
    const { state } = this.parseIdentifier(identifier);
    this.provisionableQualifier(state, qualifier);
    const config = state.provisionedConcurrency.get(qualifier!);
    if (!config) throw new LambdaError('ProvisionedConcurrencyConfigNotFoundException', 'No Provisioned Concurrency Config found for this function');
    return config;
  }

  deleteProvisionedConcurrency(identifier: string, qualifier: string | undefined): void {
    const { state } = this.parseIdentifier(identifier);
    this.provisionableQualifier(state, qualifier);
    state.provisionedConcurrency.delete(qualifier!);
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

  /** The next invocation of `key` gets a new pool; the old one finishes what it has and then stops. */
  private retirePool(key: string): void {
    this.pools.get(key)?.drain();
    this.pools.delete(key);
  }

  private createFunction(stack: StackResolver, logicalId: string): void {
    const latest = functionFromTemplate(this.app, stack, logicalId, this.layers, this.workDirectory);
    const replaced = this.functions.get(latest.name);
    if (replaced) for (const version of ['$LATEST', ...replaced.versions.keys()]) this.retirePool(`${latest.name}:${version}`);
    this.functions.set(latest.name, { latest, versions: new Map(), aliases: new Map(), provisionedConcurrency: new Map() });
  }

  private updateFunction(stack: StackResolver, logicalId: string): void {
    const state = this.state(stack.ref(logicalId));
    state.latest = functionFromTemplate(this.app, stack, logicalId, this.layers, this.workDirectory);
    this.retirePool(`${state.latest.name}:$LATEST`);
  }

  /** Publishes an AWS::Lambda::Version from $LATEST under the number its template resolves to. */
  private createVersion(stack: StackResolver, logicalId: string): void {
    const props = stack.properties(logicalId);
    const state = this.state(String(props.FunctionName));
    const version = String(stack.getAtt(logicalId, 'Version'));
    state.versions.set(version, { ...state.latest, version, description: stringify(props.Description) });
    this.setProvisionedConcurrency(stack, logicalId, version);
  }

  /** An AWS::Lambda::Alias created, or updated to exactly its template: what CloudFormation does to the alias. */
  private applyAlias(stack: StackResolver, logicalId: string): void {
    const props = stack.properties(logicalId);
    const { provisionedConcurrency, ...alias } = aliasFromTemplate(props);
    const functionName = String(props.FunctionName);
    const existing = this.state(functionName).aliases.get(alias.name);
    if (existing) this.updateAlias(functionName, alias.name, alias);
    else this.createAlias(functionName, alias);
    this.setProvisionedConcurrency(stack, logicalId, alias.name);
  }

  private setProvisionedConcurrency(stack: StackResolver, logicalId: string, qualifier: string): void {
    const props = stack.properties(logicalId);
    const executions = provisionedExecutions(props);
    const functionName = String(props.FunctionName);
    if (executions === undefined) this.state(functionName).provisionedConcurrency.delete(qualifier);
    else this.putProvisionedConcurrency(functionName, qualifier, executions);
  }

  private checkRouting(state: FunctionState, functionVersion: string, weights: Record<string, number>): void {
    for (const version of [functionVersion, ...Object.keys(weights)]) {
      if (version !== '$LATEST' && !state.versions.has(version)) {
        throw new LambdaError('ResourceNotFoundException', `Function not found: ${functionArn(this.app.env, state.latest.name)}:${version}`);
      }
    }
    const total = Object.values(weights).reduce((a, b) => a + b, 0);
    if (total > 1 || Object.values(weights).some((w) => w < 0)) {
      throw new LambdaError('InvalidParameterValueException', `additional version weights must be in [0, 1] and sum to at most 1, got ${JSON.stringify(weights)}`);
    }
  }

  private provisionableQualifier(state: FunctionState, qualifier: string | undefined): void {
    if (qualifier === undefined || qualifier === '$LATEST') {
      throw new LambdaError('InvalidParameterValueException', 'Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
    }
    if (!state.versions.has(qualifier) && !state.aliases.has(qualifier)) {
      throw new LambdaError('ResourceNotFoundException', `Function not found: ${functionArn(this.app.env, state.latest.name)}:${qualifier}`);
    }
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
      // The twin starts an environment when an invocation needs one, as Lambda does on demand (provisioned concurrency
      // is recorded, not simulated).
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${config.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[${config.version}]${randomUUID().replace(/-/g, '')}`,
      ...(nodePath.length ? { NODE_PATH: nodePath.join(':') } : {}),
      ...config.environment,
    };
  }
}

/** RevisionId on an update: the change applies only to the revision the caller read (optimistic concurrency). */
function requireRevision(current: string, expected: string | undefined, resource: 'function' | 'alias'): void {
  if (expected !== undefined && expected !== current) {
    const read = resource === 'alias' ? 'GetAlias' : 'GetFunction';
    throw new LambdaError('PreconditionFailedException', `The Revision Id provided does not match the latest Revision Id. Call the ${read} API to retrieve the latest Revision Id`);
  }
}

function sameCodeAndConfiguration(a: FunctionConfiguration, b: FunctionConfiguration): boolean {
  const key = (c: FunctionConfiguration) =>
    JSON.stringify([c.codeSha256, c.handler, c.runtime, c.timeoutSeconds, c.memorySize, c.environment, c.layers.map((l) => l.arn)]);
  return key(a) === key(b);
}
