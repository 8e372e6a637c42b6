import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { TeamConfig } from '../../contracts/team-config';
import { parseS3Uri } from '../../contracts/storage-layout';
import { LOCAL_CREDENTIALS } from '../services/aws-environment';
import type { Execution } from '../services/states/state-machines';
import type { Twin } from '../twin';
import { type HoldoutTable, parseHoldout } from './holdout-replay';
import { checkTwinServes } from './team-stack';
import type { DatasetObject, InitialData } from './team-dataset';

/** A registry version as the approval API lists it. */
export interface VersionSummary {
  version: number;
  status: string;
  primaryMetric: string | null;
  primaryMetricValue: number | null;
}

/** What became of a batch of inference requests. */
export interface TrafficResult {
  requests: number;
  failures: number;
  /** Status and body of the first failed request. */
  firstFailure?: string;
}

export class LoopStepError extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(`${step}: ${message}`);
    this.name = 'LoopStepError';
  }
}

/**
 * The steps of the platform's loop, driven from outside the way a team and its users would: data into the artifact
 * store, a training run requested through the approval API as the developer, approvals through it as the approver, traffic to
 * the inference URL. Resources are found through the stack outputs; everything else happens inside the twin.
 */
export class LoopSession {
  /** Tokens per identity: the session's approver, and the developer who requests training runs. */
  private readonly tokens = new Map<string, Promise<string>>();
  /** The artifact store's client (the local S3 endpoint). */
  readonly s3: S3Client;
  private readonly sfn: SFNClient;

  constructor(
    readonly twin: Twin,
    readonly config: TeamConfig,
    private readonly actor = 'demo@example.com',
  ) {
    // Driving a stack built from another config would train, approve and send traffic to the wrong model.
    checkTwinServes(twin, config);
    this.s3 = new S3Client({ region: twin.app.env.region, endpoint: twin.endpoints.s3, forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
    this.sfn = new SFNClient({ region: twin.app.env.region, endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
  }

  get model(): string {
    return this.config.model.name;
  }

  /** Writes one object of the team's data under its dataset prefix (`datasetUri`); returns its URI. */
  async uploadDataset(object: DatasetObject): Promise<string> {
    const { bucket, prefix } = this.datasetLocation();
    const key = `${prefix}${object.fileName}`;
    await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: object.body, ContentType: object.contentType }));
    return `s3://${bucket}/${key}`;
  }

  /** Writes the first run's data, an object at a time; returns the one object's URI, or the prefix its objects are under. */
  async uploadInitialData(initial: InitialData): Promise<string> {
    const uris: string[] = [];
    for (const object of initial.objects()) uris.push(await this.uploadDataset(object));
    if (uris.length === 1) return uris[0];
    const { bucket, prefix } = this.datasetLocation();
    return `s3://${bucket}/${prefix}`;
  }

  /** The holdout set a registered version was measured on (its `holdoutUri`: the run's split, or a BYOM upload). */
  async holdout(version: number): Promise<HoldoutTable> {
    const detail = await this.api<{ lineage: { holdoutUri: string | null } }>('GET', `/models/${encodeURIComponent(this.model)}/versions/${version}`);
    const uri = detail.lineage.holdoutUri;
    if (!uri) throw new LoopStepError('holdout', `version ${version} has no holdout set to replay as traffic`);
    const { bucket, key } = parseS3Uri(uri);
    const object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return parseHoldout(await object.Body!.transformToString('utf8'), this.config, uri);
  }

  /** Starts the training pipeline through the Step Functions API, as `mlops train` would. */
  /**
   * Starts a training run the way a person does, through the approval API (`POST /models/{model}/runs`) as the team's
   * developer (the twin directory's user of the developer group): the version it registers names that person as its
   * registrant, so the session's approver, another person, may approve it. Returns the execution ARN.
   */
  async requestTraining(reason: string): Promise<string> {
    const developer = `${this.config.access.developerGroup}@localhost`;
    const run = await this.api<{ executionArn: string }>('POST', `/models/${encodeURIComponent(this.model)}/runs`, { reason }, developer);
    return run.executionArn;
  }

  /** Starts a run through the Step Functions API with a chosen name and dataset (drills and probes of the pipeline). */
  async startTraining(name: string, reason: string, datasetUri?: string): Promise<string> {
    const response = await this.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: this.twin.output('TrainingStateMachineArn'),
        name,
        input: JSON.stringify({ trigger: 'manual', reason, ...(datasetUri && { datasetUri }) }),
      }),
    );
    return response.executionArn!;
  }

  execution(arn: string): Execution {
    return this.twin.states.describe(arn);
  }

  /** Executions of the stack output's state machine started at or after `since`. */
  executionsOf(outputName: string, since = 0): Execution[] {
    const arn = this.twin.output(outputName);
    return this.twin.states.executions.filter((e) => e.stateMachineArn === arn && e.startDate.getTime() >= since);
  }

  async waitForExecution(step: string, arn: string, timeoutMs: number): Promise<Execution> {
    const execution = this.execution(arn);
    const done = await Promise.race([execution.done, sleep(timeoutMs).then(() => undefined)]);
    if (!done) throw new LoopStepError(step, `execution ${execution.name} still ${execution.status} after ${timeoutMs / 1000}s`);
    if (done.status !== 'SUCCEEDED') throw new LoopStepError(step, `execution ${done.name} ${done.status}: ${done.error}: ${done.cause}`);
    return done;
  }

  /** The approval API (HTTP API behind the JWT authorizer) as `identity`, with a token the twin's identity provider issued. */
  async api<T>(method: 'GET' | 'POST', path: string, body?: unknown, identity = this.actor): Promise<T> {
    if (!this.tokens.has(identity)) this.tokens.set(identity, this.issueToken(identity));
    const token = await this.tokens.get(identity)!;
    const response = await fetch(`${this.twin.output('ApprovalApiUrl').replace(/\/$/, '')}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new LoopStepError(`${method} ${path}`, `HTTP ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  async versions(): Promise<VersionSummary[]> {
    try {
      return (await this.api<{ versions: VersionSummary[] }>('GET', `/models/${encodeURIComponent(this.model)}`)).versions;
    } catch (err) {
      if (err instanceof LoopStepError && err.message.includes('HTTP 404')) return [];
      throw err;
    }
  }

  async waitForVersion(step: string, predicate: (v: VersionSummary) => boolean, timeoutMs: number): Promise<VersionSummary> {
    return waitFor(step, timeoutMs, async () => (await this.versions()).find(predicate));
  }

  async approve(version: number, comment: string): Promise<void> {
    await this.api('POST', `/models/${encodeURIComponent(this.model)}/versions/${version}/approve`, { comment });
  }

  /** The alias the inference tier serves through, as Lambda reports it. */
  liveAlias(): { version: string; routing: Record<string, number> } {
    const fn = this.twin.lambda.state(this.twin.output('InferenceFunctionName'));
    const alias = fn.aliases.get(this.twin.output('InferenceAliasName'));
    if (!alias) throw new LoopStepError('alias', 'the inference alias does not exist');
    return { version: alias.functionVersion, routing: alias.additionalVersionWeights };
  }

  /**
   * Sends `instances` (positional, model feature order) to the function URL in requests of `batch` rows. Failed
   * requests are counted and the first one's response kept, for the caller to show.
   */
  async sendTraffic(instances: readonly (readonly number[])[], options: { batch?: number; concurrency?: number } = {}): Promise<TrafficResult> {
    const batch = options.batch ?? 20;
    const bodies: string[] = [];
    for (let i = 0; i < instances.length; i += batch) bodies.push(JSON.stringify({ instances: instances.slice(i, i + batch) }));
    let failures = 0;
    let firstFailure: string | undefined;
    // The inference tier's contract (SageMaker-style): POST /invocations under the function URL.
    const url = new URL('invocations', this.twin.output('InferenceUrl')).href;
    const worker = async () => {
      for (let body = bodies.shift(); body !== undefined; body = bodies.shift()) {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const text = await response.text();
        if (!response.ok) {
          failures++;
          firstFailure ??= `HTTP ${response.status}: ${text.slice(0, 300)}`;
        }
      }
    };
    const requests = bodies.length;
    await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
    return { requests, failures, firstFailure };
  }

  close(): void {
    this.s3.destroy();
    this.sfn.destroy();
  }

  private async issueToken(email: string): Promise<string> {
    const response = await fetch(`${this.twin.url}/twin/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
    if (!response.ok) throw new LoopStepError('token', `HTTP ${response.status}: ${await response.text()}`);
    return ((await response.json()) as { token: string }).token;
  }

  private datasetLocation(): { bucket: string; prefix: string } {
    const uri = this.config.training.datasetUri;
    if (/\.(csv|parquet)$/i.test(uri)) {
      throw new LoopStepError('dataset', `training.datasetUri "${uri}" names one file; the twin adds data files under it, so make it a prefix (ending in /)`);
    }
    const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
    const location = match ? { bucket: match[1], prefix: match[2] } : { bucket: this.twin.output('ArtifactBucketName'), prefix: uri };
    return { bucket: location.bucket, prefix: location.prefix && !location.prefix.endsWith('/') ? `${location.prefix}/` : location.prefix };
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value; throws a LoopStepError naming the step after `timeoutMs`. */
export async function waitFor<T>(step: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new LoopStepError(step, `not done after ${timeoutMs / 1000}s`);
    await sleep(intervalMs);
  }
}
