import { basename } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { DynamoRegistryStore, registryDocumentClient } from '../../lambdas/registry/dynamodb-store';
import { ModelRegistry, type ShadowStartResult, type TransitionResult } from '../../lambdas/registry/registry';
import { type ShadowReport, type ShadowState, startShadowBodySchema } from '../../contracts/shadow-test';
import { metricsSchema, modelNameSchema, type RegisterInput } from '../../lambdas/registry/schemas';
import { byomPrefix } from '../../contracts/storage-layout';
import { formatIssues } from '../../contracts/validation-issues';
import { FEATURE_TYPES, featureSchema, type FeatureSpec, MODEL_TASKS } from '../../contracts/team-config';
import type { ByomField, ByomRequest, UploadedModel } from '../byom/external-model';
import { modelView, versionSummaryView, versionView } from '../../lambdas/registry/views';
import { approvalApiFor, type ApprovalApiClient } from './approval-api-client';
import { ArgumentCountError, commandGroup, TARGET_USAGE } from './command-group';
import { type CliIo, formatTable, resolveTarget, type StackTarget, stackOutput, TARGET_OPTIONS, type TargetOptions, TWIN_CREDENTIALS, UsageError } from './cli-io';
import { requireServedModel } from './served-model';

/** Help text of `mlops models`. */
const MODELS_USAGE = `usage: mlops models <command> [options]
  list                                   models with their latest, live and previous live versions
  show <model> [<version>]               a model's versions, or one version with lineage, metrics and audit trail
  register <model> --artifact s3://... --sha256 <hex> [--metrics JSON] [--primary-metric NAME]
           [--dataset URI] [--dataset-sha256 HEX] [--code-version V] [--image URI] [--baseline s3://...]
           [--holdout s3://...] [--description TEXT] [--client-token TOKEN]
                                         a model archive already in S3
  register <model> --onnx model.onnx --holdout holdout.csv --metrics '{"auc":0.91}'
           [--task binary-classification|multiclass-classification|regression] [--labels a,b,c]
           [--features a,b,c:categorical] [--label COLUMN]
           [--tolerance 0.001] [--input-name N] [--output-name N] [--algorithm A] [--framework F]
           [--primary-metric NAME] [--code-version V] [--dataset URI] [--dataset-sha256 HEX] [--image URI]
           [--baseline s3://...] [--description TEXT]
                                         bring your own model: an ONNX file trained elsewhere is validated in
                                         onnxruntime, measured on the holdout CSV (refused if the declared metrics
                                         disagree), uploaded with the holdout set and registered; re-running is a no-op.
                                         --labels: the classes in the order of the probability columns (binary
                                         default 0,1; multiclass required, the holdout's label column holds them as
                                         written). A ZipMap output (skl2onnx's default) is served as its input tensor
  approve <model> <version> --comment TEXT
  reject <model> <version> --comment TEXT    (rejecting the live version rolls it back)
  rollback <model> --comment TEXT            roll back the live version; the previous live version is restored
  shadow <model> <version> --comment TEXT [--sample-percent N]
                                         put a pending version in shadow: N% (default 10) of live requests are copied
                                         to it, its answers compared with the live ones in an hourly report (show)
  shadow <model> --stop --comment TEXT   stop the shadow test (approving or rejecting the version stops it too)
${TARGET_USAGE}`;

/** Output id fragments of the stack (CDK appends a hash to output ids). */
const REGISTRY_OUTPUT = 'RegistryTableName';
const ARTIFACT_BUCKET_OUTPUT = 'ArtifactBucketName';

/** `mlops models ...`: returns the exit code (0 ok, 1 refused by the registry or failed, 2 bad usage). */
export const run = commandGroup('models', MODELS_USAGE, {
  list: (args, io) => list(args, io),
  show: (args, io) => show(args, io),
  register: (args, io) => register(args, io),
  approve: (args, io) => decide('approve', args, io),
  reject: (args, io) => decide('reject', args, io),
  rollback: (args, io) => rollback(args, io),
  shadow: (args, io) => shadow(args, io),
});

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
  const [model, version] = positionals;
  const { registry } = await connectFor(model, values);
  if (version === undefined) {
    const view = { ...modelView(await registry.getModel(model)), versions: (await registry.listVersions(model)).map(versionSummaryView) };
    if (values.json) return print(io, view);
    io.stdout(`${view.model}: latest v${view.latestVersion}, live ${v(view.liveVersion)}, previous live ${v(view.previousLiveVersion)}`);
    if (view.shadow) io.stdout(shadowLine(view.shadow));
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
  const inShadow = (await registry.getModel(model)).shadow;
  if (inShadow?.version === view.version || view.shadowReports.length > 0) {
    io.stdout('');
    if (inShadow?.version === view.version) io.stdout(shadowLine(inShadow));
    io.stdout(view.shadowReports.length ? formatShadowReports(view.shadowReports) : 'no shadow report yet (the first comes within the hour)');
  }
  io.stdout('');
  io.stdout(formatTable(['AT', 'FROM', 'TO', 'ACTOR', 'REASON'], view.audit.map((a) => [a.at, a.from, a.to, a.actor, a.reason])));
  return 0;
}

const shadowLine = (state: ShadowState) => `in shadow: v${state.version}, ${state.samplePercent}% of live requests, since ${state.startedAt} (by ${state.startedBy})`;

/** The version's hourly shadow reports, newest first. */
function formatShadowReports(reports: readonly ShadowReport[]): string {
  const fixed = (value: number | null, digits: number) => (value === null ? '-' : value.toFixed(digits));
  return formatTable(
    ['SHADOW HOUR TO', 'VS', 'ROWS', 'ERRORS', 'AGREEMENT', 'MEAN ABS DIFF', 'PSI', 'P50 MS', 'P99 MS'],
    [...reports].reverse().map((r) => [
      r.windowEnd,
      v(r.liveVersion),
      r.rows,
      r.errors,
      r.agreementRate === null ? '-' : `${(100 * r.agreementRate).toFixed(1)}%`,
      fixed(r.meanAbsoluteDifference, 4),
      fixed(r.predictionPsi, 4),
      fixed(r.latencyP50Ms, 1),
      fixed(r.latencyP99Ms, 1),
    ]),
  );
}

/** Starts (`<model> <version>`) or stops (`<model> --stop`) a shadow test through the approval API (developer or approver). */
async function shadow(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { comment: { type: 'string' }, stop: { type: 'boolean' }, 'sample-percent': { type: 'string' } }, [1, 2]);
  const [model, version] = positionals;
  if (values.stop) {
    if (version !== undefined) throw new UsageError('shadow --stop takes the model only: a model has one shadow test at a time');
    if (values['sample-percent'] !== undefined) throw new UsageError('--sample-percent does not apply with --stop');
    const comment = requireComment(values.comment, 'shadow --stop');
    const api = await approvalApiOf(model, values);
    const stopped = await api.post<{ model: string; version: number }>(`models/${encodeURIComponent(model)}/shadow/stop`, { comment });
    if (values.json) return print(io, stopped);
    io.stdout(`${stopped.model} v${stopped.version}: shadow test stopped`);
    return 0;
  }
  if (version === undefined) throw new UsageError('shadow needs <model> <version> (or <model> --stop)');
  const comment = requireComment(values.comment, 'shadow');
  const samplePercent = values['sample-percent'] === undefined ? undefined : parseSamplePercent(values['sample-percent']);
  const api = await approvalApiOf(model, values);
  const path = `models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}/shadow`;
  const started = await api.post<ShadowStartResult>(path, { comment, ...(samplePercent === undefined ? {} : { samplePercent }) });
  if (values.json) return print(io, started);
  io.stdout(
    `${started.model} v${started.version}: in shadow, ${started.samplePercent}% of live requests copied to it and compared with v${started.liveVersion}; ` +
      `the first report comes within the hour (mlops models show ${started.model} ${started.version})`,
  );
  return 0;
}

function parseSamplePercent(text: string): number {
  const parsed = startShadowBodySchema.shape.samplePercent.safeParse(text.trim() === '' ? Number.NaN : Number(text));
  if (!parsed.success) throw new UsageError(`--sample-percent: ${parsed.error.issues[0].message}, got "${text}"`);
  return parsed.data!;
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
  onnx: { type: 'string' },
  features: { type: 'string' },
  label: { type: 'string' },
  labels: { type: 'string' },
  task: { type: 'string' },
  tolerance: { type: 'string' },
  'input-name': { type: 'string' },
  'output-name': { type: 'string' },
  algorithm: { type: 'string' },
  framework: { type: 'string' },
} as const;
type RegisterValues = ReturnType<typeof parse<typeof REGISTER_OPTIONS>>['values'];

/** Options that belong to one form of register only. */
const ARTIFACT_ONLY = ['artifact', 'sha256', 'client-token'] as const;
const ONNX_ONLY = ['features', 'label', 'labels', 'task', 'tolerance', 'input-name', 'output-name', 'algorithm', 'framework'] as const;

/** Registers an artifact already in S3, or (with --onnx) packages, uploads and registers a model trained elsewhere. */
async function register(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, REGISTER_OPTIONS, 1);
  await requireServedModel(resolveTarget(values, REGISTRY_OUTPUT), positionals[0]);
  const withOnnx = values.onnx !== undefined;
  const misplaced = (withOnnx ? ARTIFACT_ONLY : ONNX_ONLY).find((name) => values[name] !== undefined);
  if (misplaced) {
    throw new UsageError(
      withOnnx
        ? `--${misplaced} does not apply with --onnx: the archive, its sha256 and the client token come from the packaged model`
        : `--${misplaced} applies only with --onnx (bring your own model)`,
    );
  }
  return values.onnx !== undefined ? registerExternal(positionals[0], values.onnx, values, io) : registerArtifact(positionals[0], values, io);
}

async function registerArtifact(model: string, values: RegisterValues, io: CliIo): Promise<number> {
  if (!values.artifact) throw new UsageError('register needs --artifact s3://bucket/key of the model archive (or --onnx model.onnx to bring your own model)');
  if (!values.sha256) throw new UsageError('register needs --sha256 <hex> of the model archive');
  const input: RegisterInput = {
    model,
    artifactUri: values.artifact,
    artifactSha256: values.sha256,
    metrics: values.metrics === undefined ? {} : parseJsonOption('--metrics', values.metrics, metricsSchema, '{"holdout":{"auc":0.91}}'),
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
  return registerVersion(approvalApiFor(resolveTarget(values, REGISTRY_OUTPUT)), input, io, Boolean(values.json));
}

/** The flag that sets each field of a bring-your-own-model request, to name it in errors. */
const BYOM_FLAGS: Record<ByomField, string> = {
  onnxFile: '--onnx',
  holdoutFile: '--holdout',
  task: '--task',
  features: '--features',
  label: '--label',
  declaredMetrics: '--metrics',
  tolerance: '--tolerance',
  inputName: '--input-name',
  outputName: '--output-name',
  labels: '--labels',
  algorithm: '--algorithm',
  framework: '--framework',
};

/**
 * Bring your own model: validate and measure the ONNX file (bin/byom/external-model.ts), upload the archive, the
 * normalised holdout set and a baseline under byom/<model>/<sha256>/, and register it with the archive's sha256
 * as client token, so running the same command again finds the version it registered.
 */
async function registerExternal(model: string, onnxFile: string, values: RegisterValues, io: CliIo): Promise<number> {
  if (!values.holdout) throw new UsageError('register --onnx needs --holdout <file.csv>: the labelled holdout set the model is measured on');
  if (!values.metrics) throw new UsageError(`register --onnx needs --metrics '{"auc":0.91}': the metrics you measured on that holdout set`);
  const name = modelNameSchema.safeParse(model);
  if (!name.success) throw new UsageError(`${name.error.issues[0].message}, got "${model}"`);
  const request: ByomRequest = {
    onnxFile,
    holdoutFile: values.holdout,
    task: parseChoice('--task', values.task ?? 'binary-classification', MODEL_TASKS),
    features: values.features === undefined ? undefined : parseFeatures(values.features),
    label: values.label,
    declaredMetrics: parseJsonOption('--metrics', values.metrics, declaredMetricsSchema, '{"auc":0.91}'),
    tolerance: values.tolerance === undefined ? undefined : parseTolerance(values.tolerance),
    inputName: values['input-name'],
    outputName: values['output-name'],
    labels: values.labels === undefined ? undefined : values.labels.split(',').map((label) => parseLabel(label.trim())),
    algorithm: values.algorithm,
    framework: values.framework,
  };
  // Resolve the stack before minutes of scoring: a missing twin or output fails at once.
  const target = resolveTarget(values, REGISTRY_OUTPUT);
  const api = approvalApiFor(target);
  const bucket = stackOutput(target, ARTIFACT_BUCKET_OUTPUT);
  const progress = (step: string, summary: string) => io.stderr(`${step.padEnd(9)}${summary}`);
  // Loaded here, not at the top: onnxruntime's native module would slow down every other models command.
  const { ByomInputError, packageExternalModel, uploadExternalModel } = await import('../byom/external-model');

  const pkg = await packageExternalModel(request, progress).catch((err: unknown) => {
    throw err instanceof ByomInputError ? new UsageError(`${BYOM_FLAGS[err.field]}: ${err.message}`, { cause: err }) : err;
  });
  const primaryMetric = values['primary-metric'] ?? Object.keys(request.declaredMetrics)[0];
  if (pkg.metrics[primaryMetric] === undefined) {
    throw new UsageError(`--primary-metric: "${primaryMetric}" is not a measured metric (measured: ${Object.keys(pkg.metrics).join(', ')})`);
  }

  const s3 = artifactStoreClient(target);
  let uploaded: UploadedModel;
  try {
    uploaded = await uploadExternalModel(s3, bucket, name.data, pkg);
  } catch (err) {
    throw new Error(`upload to s3://${bucket}/${byomPrefix(name.data, pkg.sha256)} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    s3.destroy();
  }
  progress('upload', `${uploaded.artifactUri} (${(pkg.tarball.length / 1024).toFixed(1)} KiB), holdout set and baseline beside it`);

  progress('register', `${name.data} with ${primaryMetric}=${Number(pkg.metrics[primaryMetric].toFixed(6))} on ${pkg.holdoutRows} holdout rows, client token ${pkg.sha256}`);
  const input: RegisterInput = {
    model: name.data,
    artifactUri: uploaded.artifactUri,
    artifactSha256: pkg.sha256,
    metrics: { holdout: pkg.metrics },
    primaryMetric,
    datasetUri: values.dataset,
    datasetSha256: values['dataset-sha256'],
    codeVersion: values['code-version'],
    image: values.image,
    baselineUri: values.baseline ?? uploaded.baselineUri,
    holdoutUri: uploaded.holdoutUri,
    description: values.description ?? `bring your own model: ${basename(request.onnxFile)}, measured on ${pkg.holdoutRows} holdout rows`,
    clientToken: pkg.sha256,
  };
  return registerVersion(api, input, io, Boolean(values.json));
}

const declaredMetricsSchema = z.record(z.string(), z.number());

/** `a,b,c` or with types `amount,is_foreign:categorical` (numeric unless said). */
function parseFeatures(text: string): FeatureSpec[] {
  return text.split(',').map((item) => {
    const [name, type = 'numeric', ...rest] = item.trim().split(':');
    const parsed = featureSchema.safeParse({ name, type });
    if (!parsed.success || rest.length > 0) {
      const why = parsed.success ? 'expected name or name:type' : parsed.error.issues[0].message;
      throw new UsageError(`--features: "${item.trim()}": ${why} (types: ${FEATURE_TYPES.join(', ')})`);
    }
    return parsed.data;
  });
}

/** Class labels as the model's owner names them: numbers stay numbers (0, 1), anything else is a string. */
const parseLabel = (label: string): string | number => (/^-?\d+(\.\d+)?$/.test(label) ? Number(label) : label);

function parseTolerance(text: string): number {
  const parsed = z.coerce.number().min(0).max(1).safeParse(text.trim() === '' ? Number.NaN : text);
  if (!parsed.success) throw new UsageError(`--tolerance must be a number between 0 and 1, got "${text}"`);
  return parsed.data;
}

function parseChoice<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  const choice = choices.find((c) => c === value);
  if (choice === undefined) throw new UsageError(`${flag} must be one of ${choices.join(', ')}, got "${value}"`);
  return choice;
}

/** Registers through the approval API (the developer role); the registrant is the signed-in caller. */
async function registerVersion(api: ApprovalApiClient, input: RegisterInput, io: CliIo, json: boolean): Promise<number> {
  const { model, ...body } = input;
  const { version, created } = await api.post<{ version: ReturnType<typeof versionView>; created: boolean }>(`models/${encodeURIComponent(model)}/versions`, body);
  if (json) return print(io, { created, ...version });
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
  const [model, version] = positionals;
  const api = await approvalApiOf(model, values);
  const path = `models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}/${command}`;
  return printTransition(io, await api.post<TransitionResult>(path, { comment }), Boolean(values.json));
}

async function rollback(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { comment: { type: 'string' } }, 1);
  const comment = requireComment(values.comment, 'rollback');
  const [model] = positionals;
  const api = await approvalApiOf(model, values);
  return printTransition(io, await api.post<TransitionResult>(`models/${encodeURIComponent(model)}/rollback`, { comment }), Boolean(values.json));
}

/** The approval API of the stack serving `model` (a model it does not serve is refused before anything is sent). */
export async function approvalApiOf(model: string, options: TargetOptions): Promise<ApprovalApiClient> {
  const target = resolveTarget(options, REGISTRY_OUTPUT);
  await requireServedModel(target, model);
  return approvalApiFor(target);
}

function printTransition(io: CliIo, result: TransitionResult, json: boolean): number {
  if (json) return print(io, result);
  const restored = result.restoredVersion === undefined ? '' : `; v${result.restoredVersion} is live again`;
  const noneLive = result.to === 'rolled_back' && result.from === 'live' && result.restoredVersion === undefined ? '; no version is live now' : '';
  io.stdout(`${result.model} v${result.version}: ${result.from} -> ${result.to}${restored}${noneLive}`);
  return 0;
}

/** The `--comment` a decision needs for the audit trail (1-1000 characters); a UsageError naming `command` without one. */
export function requireComment(comment: string | undefined, command: string): string {
  const parsed = z.string().trim().min(1).max(1000).safeParse(comment);
  if (!parsed.success) throw new UsageError(`${command} needs --comment "<why>" (1-1000 characters); it goes into the audit trail`);
  return parsed.data;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with the stack options and --json, and a check of the positional count ([min, max] or exact). */
export function parse<O extends Options>(args: string[], options: O, positionals: number | [number, number]) {
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
    throw new ArgumentCountError(`expected ${expected} argument(s), got ${count}${count ? `: ${parsed.positionals.join(' ')}` : ''}`);
  }
  return parsed;
}

function parseJsonOption<S extends z.core.$ZodType>(name: string, text: string, schema: S, example: string): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError(`${name} must be JSON, e.g. '${example}'`);
  }
  const parsed = z.safeParse(schema, raw);
  if (!parsed.success) throw new UsageError(`${name}: ${formatIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

/** The registry of the target stack, read with the caller's credentials; writes go through the approval API. */
function connect(options: { outputs?: string; region?: string; stack?: string; twin?: string }) {
  const target: StackTarget = resolveTarget(options, REGISTRY_OUTPUT);
  const client =
    target.kind === 'twin'
      ? new DynamoDBClient({ region: target.region, endpoint: target.dynamodbEndpoint, credentials: TWIN_CREDENTIALS })
      : new DynamoDBClient({ region: target.region });
  const registry = new ModelRegistry(new DynamoRegistryStore(registryDocumentClient(client), stackOutput(target, REGISTRY_OUTPUT)));
  return { registry, target };
}

/** connect(), refusing a model the stack does not serve (a version of it would never be deployed or monitored). */
export async function connectFor(model: string, options: TargetOptions) {
  const connection = connect(options);
  await requireServedModel(connection.target, model);
  return connection;
}

/** S3 of the target: the twin's s3rver (its own credentials, path-style, no streaming checksums) or AWS. */
function artifactStoreClient(target: StackTarget): S3Client {
  if (target.kind === 'aws') return new S3Client({ region: target.region });
  if (!target.s3Endpoint) throw new UsageError(`the twin state of ${target.stackName} has no s3Endpoint; restart the twin`);
  return new S3Client({
    region: target.region,
    endpoint: target.s3Endpoint,
    forcePathStyle: true,
    credentials: TWIN_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function print(io: CliIo, value: unknown): number {
  io.stdout(JSON.stringify(value, null, 2));
  return 0;
}

const v = (version: number | null) => (version === null ? 'none' : `v${version}`);
