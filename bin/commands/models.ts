import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { z } from 'zod';
import { DynamoRegistryStore, registryDocumentClient } from '../../lambdas/registry/dynamodb-store';
import { InvalidInputError } from '../../lambdas/registry/errors';
import { ModelRegistry, type TransitionResult } from '../../lambdas/registry/registry';
import { metricsSchema, type RegisterInput } from '../../lambdas/registry/schemas';
import { modelView, versionSummaryView, versionView } from '../../lambdas/registry/views';
import { type CliIo, formatTable, resolveTarget, type StackTarget, stackOutput, TARGET_OPTIONS, TWIN_CREDENTIALS, UsageError } from './cli-io';

export const MODELS_USAGE = `usage: mlops models <command> [options]
  list                                   models with their latest, live and previous live versions
  show <model> [<version>]               a model's versions, or one version with lineage, metrics and audit trail
  register <model> --artifact s3://... --sha256 <hex> [--metrics JSON] [--primary-metric NAME]
           [--dataset URI] [--dataset-sha256 HEX] [--code-version V] [--image URI] [--baseline s3://...]
           [--holdout s3://...] [--description TEXT] [--client-token TOKEN]
  approve <model> <version> --comment TEXT
  reject <model> <version> --comment TEXT    (rejecting the live version rolls it back)
  rollback <model> --comment TEXT            roll back the live version; the previous live version is restored
options: --json  machine-readable output
         --outputs cdk-outputs.json --region <region> [--stack <name>]  a deployed stack (default: the local twin)
         --twin <file>  the twin's state file (default .local/twin.json)`;

/** The registry table's output id fragment (CDK appends a hash to output ids). */
const REGISTRY_OUTPUT = 'RegistryTableName';

/** `mlops models ...`: returns the exit code (0 ok, 1 refused by the registry or failed, 2 bad usage). */
export async function run(args: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'list':
        return await list(rest, io);
      case 'show':
        return await show(rest, io);
      case 'register':
        return await register(rest, io);
      case 'approve':
      case 'reject':
        return await decide(command, rest, io);
      case 'rollback':
        return await rollback(rest, io);
      case undefined:
      case 'help':
      case '--help':
        io.stdout(MODELS_USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "models ${command}"; try: mlops models help`);
    }
  } catch (err) {
    return reportError(err, io);
  }
}

/** One line per error, never a stack trace. */
export function reportError(err: unknown, io: CliIo): number {
  const message = err instanceof Error ? err.message : String(err);
  io.stderr(`mlops: ${message}`);
  return err instanceof UsageError || err instanceof InvalidInputError ? 2 : 1;
}

async function list(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {}, 0);
  const { registry } = connect(values);
  const models = (await registry.listModels()).map(modelView);
  if (values.json) return print(io, { models });
  io.stdout(
    formatTable(
      ['MODEL', 'LATEST', 'LIVE', 'PREVIOUS LIVE', 'DEPLOYING', 'UPDATED'],
      models.map((m) => [m.model, m.latestVersion, m.liveVersion, m.previousLiveVersion, m.deployingVersion, m.updatedAt]),
    ),
  );
  return 0;
}

async function show(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {}, [1, 2]);
  const { registry } = connect(values);
  const [model, version] = positionals;
  if (version === undefined) {
    const view = { ...modelView(await registry.getModel(model)), versions: (await registry.listVersions(model)).map(versionSummaryView) };
    if (values.json) return print(io, view);
    io.stdout(`${view.model}: latest v${view.latestVersion}, live ${v(view.liveVersion)}, previous live ${v(view.previousLiveVersion)}`);
    io.stdout(
      formatTable(
        ['VERSION', 'STATUS', 'METRIC', 'VALUE', 'CREATED', 'BY'],
        view.versions.map((s) => [s.version, s.status, s.primaryMetric, s.primaryMetricValue, s.createdAt, s.createdBy]),
      ),
    );
    return 0;
  }
  const detail = await registry.getVersionDetail(model, version);
  const view = versionView(detail.version, detail.audit);
  if (values.json) return print(io, view);
  const metrics = Object.entries(view.metrics).flatMap(([split, m]) => Object.entries(m).map(([name, value]) => `${split}.${name}=${value}`));
  io.stdout(
    formatTable(['FIELD', 'VALUE'], [
      ['model', `${view.model} v${view.version}`],
      ['status', view.status],
      ['artifact', view.artifact.uri],
      ['artifact sha256', view.artifact.sha256],
      ['metrics', metrics.join(' ')],
      ['primary metric', view.primaryMetric],
      ...Object.entries(view.lineage).map(([name, value]) => [name, value]),
      ['function version', view.deployment.functionVersion],
      ['created', `${view.createdAt} by ${view.createdBy}`],
    ]),
  );
  io.stdout('');
  io.stdout(formatTable(['AT', 'FROM', 'TO', 'ACTOR', 'REASON'], view.audit.map((a) => [a.at, a.from, a.to, a.actor, a.reason])));
  return 0;
}

const REGISTER_OPTIONS = {
  artifact: { type: 'string' },
  sha256: { type: 'string' },
  metrics: { type: 'string' },
  'primary-metric': { type: 'string' },
  dataset: { type: 'string' },
  'dataset-sha256': { type: 'string' },
  'code-version': { type: 'string' },
  image: { type: 'string' },
  baseline: { type: 'string' },
  holdout: { type: 'string' },
  description: { type: 'string' },
  'client-token': { type: 'string' },
} as const;

/**
 * Registers an artifact already in S3. Bring-your-own-model packaging of a local ONNX file lives in
 * pipelines/byom.ts (packageExternalModel); its upload builds a `RegisterInput` and calls `registerVersion` here.
 */
async function register(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, REGISTER_OPTIONS, 1);
  if (!values.artifact) throw new UsageError('register needs --artifact s3://bucket/key of the model archive');
  if (!values.sha256) throw new UsageError('register needs --sha256 <hex> of the model archive');
  const input: RegisterInput = {
    model: positionals[0],
    artifactUri: values.artifact,
    artifactSha256: values.sha256,
    metrics: values.metrics === undefined ? {} : parseJsonOption('--metrics', values.metrics, metricsSchema),
    primaryMetric: values['primary-metric'],
    datasetUri: values.dataset,
    datasetSha256: values['dataset-sha256'],
    codeVersion: values['code-version'],
    image: values.image,
    baselineUri: values.baseline,
    holdoutUri: values.holdout,
    description: values.description,
    clientToken: values['client-token'],
  };
  const { registry, actor } = connect(values);
  return registerVersion(registry, input, await actor(), io, Boolean(values.json));
}

export async function registerVersion(registry: ModelRegistry, input: RegisterInput, actor: string, io: CliIo, json: boolean): Promise<number> {
  const { version, created } = await registry.register(input, actor);
  if (json) return print(io, { created, ...versionView(version, []) });
  io.stdout(
    created
      ? `registered ${version.model} v${version.version} (${version.status})`
      : `already registered as ${version.model} v${version.version} (${version.status}) with client token ${input.clientToken}`,
  );
  return 0;
}

async function decide(command: 'approve' | 'reject', args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { comment: { type: 'string' } }, 2);
  const comment = requireComment(values.comment, command);
  const { registry, actor } = connect(values);
  const [model, version] = positionals;
  const decision = { actor: await actor(), reason: comment };
  const result = command === 'approve' ? await registry.approve(model, version, decision) : await registry.reject(model, version, decision);
  return printTransition(io, result, Boolean(values.json));
}

async function rollback(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { comment: { type: 'string' } }, 1);
  const comment = requireComment(values.comment, 'rollback');
  const { registry, actor } = connect(values);
  return printTransition(io, await registry.rollbackLive(positionals[0], { actor: await actor(), reason: comment }), Boolean(values.json));
}

function printTransition(io: CliIo, result: TransitionResult, json: boolean): number {
  if (json) return print(io, result);
  const restored = result.restoredVersion === undefined ? '' : `; v${result.restoredVersion} is live again`;
  const noneLive = result.to === 'rolled_back' && result.from === 'live' && result.restoredVersion === undefined ? '; no version is live now' : '';
  io.stdout(`${result.model} v${result.version}: ${result.from} -> ${result.to}${restored}${noneLive}`);
  return 0;
}

function requireComment(comment: string | undefined, command: string): string {
  const parsed = z.string().trim().min(1).max(1000).safeParse(comment);
  if (!parsed.success) throw new UsageError(`${command} needs --comment "<why>" (1-1000 characters); it goes into the audit trail`);
  return parsed.data;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with the stack options and --json, and a check of the positional count ([min, max] or exact). */
function parse<O extends Options>(args: string[], options: O, positionals: number | [number, number]) {
  const all = { ...TARGET_OPTIONS, json: { type: 'boolean' }, ...options } as const;
  let parsed;
  try {
    parsed = parseArgs({ args, options: all, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const [min, max] = typeof positionals === 'number' ? [positionals, positionals] : positionals;
  const count = parsed.positionals.length;
  if (count < min || count > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    throw new UsageError(`expected ${expected} argument(s), got ${count}${count ? `: ${parsed.positionals.join(' ')}` : ''}; see mlops models help`);
  }
  return parsed;
}

function parseJsonOption<S extends z.ZodType>(name: string, text: string, schema: S): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError(`${name} must be JSON, e.g. '{"holdout":{"auc":0.91}}'`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The registry of the target stack and who is acting: `cli:<user>` on the twin, the caller's ARN in AWS. */
function connect(options: { outputs?: string; region?: string; stack?: string; twin?: string }) {
  const target: StackTarget = resolveTarget(options, REGISTRY_OUTPUT);
  const client =
    target.kind === 'twin'
      ? new DynamoDBClient({ region: target.region, endpoint: target.dynamodbEndpoint, credentials: TWIN_CREDENTIALS })
      : new DynamoDBClient({ region: target.region });
  const registry = new ModelRegistry(new DynamoRegistryStore(registryDocumentClient(client), stackOutput(target, REGISTRY_OUTPUT)));
  const actor = async () =>
    target.kind === 'twin'
      ? `cli:${userInfo().username}`
      : ((await new STSClient({ region: target.region }).send(new GetCallerIdentityCommand({}))).Arn ?? 'cli:unknown');
  return { registry, actor };
}

function print(io: CliIo, value: unknown): number {
  io.stdout(JSON.stringify(value, null, 2));
  return 0;
}

const v = (version: number | null) => (version === null ? 'none' : `v${version}`);
