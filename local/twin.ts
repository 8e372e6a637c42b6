import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type ChangeSet, describeChangeSet, type StackChangeSummary } from './assembly/change-set';
import { CloudAssembly } from './assembly/cloud-assembly';
import type { Environment } from './assembly/resource-identity';
import { SynthesizedApp } from './assembly/synthesized-app';
import { Clock } from './clock';
import { consoleRoute } from './http/console-api';
import { BucketDeployments } from './services/cloudformation/bucket-deployment';
import { stackUpdateRoute } from './http/stack-update-route';
import { TwinServer } from './http/twin-server';
import { HttpApis } from './services/apigateway/http-apis';
import { IdentityProvider } from './services/apigateway/identity-provider';
import type { ServiceEndpoints } from './services/aws-environment';
import { callAwsSdk } from './services/aws-sdk-integration';
import { CustomResources } from './services/cloudformation/custom-resources';
import { Alarms } from './services/cloudwatch/alarms';
import { cloudWatchOperations } from './services/cloudwatch/cloudwatch-api';
import { datapointsOfLogLine } from './services/cloudwatch/emf';
import { MetricStore } from './services/cloudwatch/metric-store';
import { BatchJobs } from './services/containers/batch-jobs';
import { SageMakerTraining } from './services/containers/sagemaker-training';
import { DynamoDbService } from './services/dynamodb/dynamodb-service';
import { TableStreams } from './services/dynamodb/table-streams';
import { EventBuses } from './services/events/event-buses';
import { DeliveryStreams } from './services/firehose/delivery-streams';
import { AsyncInvocations } from './services/lambda/async-invocations';
import { FunctionUrls } from './services/lambda/function-urls';
import { lambdaApiRoute } from './services/lambda/lambda-api';
import { type InvocationRecord, LambdaService } from './services/lambda/lambda-service';
import { S3Service } from './services/s3/s3-service';
import type { MessageAttributeValue } from './services/sqs/message-md5';
import { sqsOperations } from './services/sqs/sqs-api';
import { SqsQueues } from './services/sqs/sqs-queues';
import { sfnOperations } from './services/states/sfn-api';
import { StateMachines } from './services/states/state-machines';
import { STATUS_CHANGE_DETAIL_TYPE, STATUS_CHANGE_SOURCE } from './services/states/status-change-event';
import { TaskError } from './services/states/task-error';
import { Timeline } from './timeline';
import { type ServiceReconciler, StackUpdater } from './update/stack-update';
import { reconcileStateMachines } from './update/state-machine-definitions';
import type { TwinStateFile } from '../contracts/twin-state-file';

export interface TwinOptions {
  /** The cloud assembly `cdk synth` wrote. */
  readonly cdkOut: string;
  /** Where DynamoDB tables, S3 objects and scratch files persist. */
  readonly dataDirectory: string;
  /** Template durations run this many times faster. @default 1 */
  readonly timeScale?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Port of the twin's server. @default 0 (any free port) */
  readonly port?: number;
  /** Static files served at `/` (the console). @default - none */
  readonly consoleDirectory?: string;
  /** The twin's state file (docs/architecture.md), written once the twin is up and removed when it stops. @default - not written */
  readonly stateFile?: string;
  /** Receives every line a function prints. @default - discarded */
  readonly onFunctionLog?: (functionName: string, version: string, line: string) => void;
  /** Receives every line a Batch or SageMaker training container prints (`job` is `<job name>/<host>` for training). @default - discarded */
  readonly onContainerLog?: (job: string, line: string) => void;
  /** Batch array children run at once, each a local process. @default - the machine's cores (os.availableParallelism()) */
  readonly batchArrayConcurrency?: number;
}

/** Function log lines kept per function for the console. */
const LOG_LINES_KEPT = 200;

/**
 * The local twin: the synthesized app run on one machine. Every service is generic over CloudFormation resource
 * types; nothing here knows the platform's own resources, which it reads from the templates.
 */
export class Twin {
  static async start(options: TwinOptions): Promise<Twin> {
    const twin = new Twin(options);
    try {
      await twin.startServices();
    } catch (err) {
      // A twin that cannot start (a custom resource failed, a port is taken) leaves no process or server behind.
      await twin.stop();
      throw err;
    }
    return twin;
  }

  readonly clock: Clock;
  readonly timeline = new Timeline();
  readonly server: TwinServer;
  readonly metrics: MetricStore;
  readonly functionLogs = new Map<string, string[]>();
  app!: SynthesizedApp;
  endpoints!: ServiceEndpoints;
  dynamodb!: DynamoDbService;
  s3!: S3Service;
  lambda!: LambdaService;
  asyncInvocations!: AsyncInvocations;
  sqs!: SqsQueues;
  states!: StateMachines;
  events!: EventBuses;
  alarms!: Alarms;
  firehose!: DeliveryStreams;
  httpApis!: HttpApis;
  identity!: IdentityProvider;
  urls!: FunctionUrls;
  private streams?: TableStreams;
  private updater!: StackUpdater;
  batch!: BatchJobs;
  private sagemaker!: SageMakerTraining;
  private readonly stopping = new AbortController();

  private constructor(readonly options: TwinOptions) {
    this.clock = new Clock(options.timeScale ?? 1);
    this.metrics = new MetricStore(Date.now());
    this.server = new TwinServer(options.consoleDirectory);
  }

  get url(): string {
    return this.server.url;
  }

  private async startServices(): Promise<void> {
    const { options } = this;
    const twinUrl = await this.server.listen(options.port ?? 0);
    const env: Environment = { region: options.region ?? 'us-east-1', accountId: '000000000000', partition: 'aws', urlSuffix: 'amazonaws.com', twinUrl };
    this.app = new SynthesizedApp(CloudAssembly.read(options.cdkOut), env);
    this.dynamodb = new DynamoDbService(this.app, join(options.dataDirectory, 'dynamodb'));
    this.s3 = new S3Service(this.app, join(options.dataDirectory, 's3'));
    await Promise.all([this.dynamodb.start({ region: env.region }), this.s3.start()]);
    this.endpoints = { twinUrl, dynamodb: this.dynamodb.endpoint, s3: this.s3.endpoint };

    this.lambda = new LambdaService(
      this.app,
      this.endpoints,
      join(options.dataDirectory, 'work'),
      (name, version, line) => this.onFunctionLine(name, version, line),
      (record) => this.recordInvocationMetrics(record),
    );
    this.sqs = new SqsQueues(this.app, this.clock, this.timeline, (datapoint) => this.metrics.put(datapoint));
    const sendToQueue = (arn: string, body: string, messageAttributes: Record<string, MessageAttributeValue>) =>
      void this.sqs.send(this.sqs.byArn(arn), body, { messageAttributes });
    this.asyncInvocations = new AsyncInvocations(this.app, this.lambda, this.clock, this.timeline, sendToQueue);
    this.states = new StateMachines(this.app, this.clock, this.timeline);
    this.events = new EventBuses(this.app, this.clock, this.timeline, {
      invokeFunction: async (arn, event) => void this.asyncInvocations.invoke(arn, event),
      startExecution: async (arn, input) => {
        this.states.start(arn, JSON.parse(input));
      },
      sendToDeadLetterQueue: sendToQueue,
    });
    this.states.onStatusChange((detail) => this.events.emit(STATUS_CHANGE_SOURCE, STATUS_CHANGE_DETAIL_TYPE, detail, [detail.executionArn]));
    this.alarms = new Alarms(this.app, this.metrics, this.clock, this.timeline);
    this.alarms.onStateChange((alarm, state, previous) => {
      this.events.emit(
        'aws.cloudwatch',
        'CloudWatch Alarm State Change',
        {
          alarmName: alarm.name,
          state: { value: state.value, reason: state.reason, timestamp: state.updatedAt },
          previousState: { value: previous.value, reason: previous.reason, timestamp: previous.updatedAt },
          configuration: { description: alarm.description, metrics: this.alarms.describeAlarms({ AlarmNames: [alarm.name] }).MetricAlarms[0].Metrics ?? [] },
        },
        [alarm.arn],
      );
    });
    const containerLog = options.onContainerLog;
    this.batch = new BatchJobs(this.app, this.endpoints, this.timeline, this.stopping.signal, containerLog, options.batchArrayConcurrency);
    this.sagemaker = new SageMakerTraining(this.app, this.endpoints, this.timeline, join(options.dataDirectory, 'work'), this.stopping.signal, containerLog && ((job, host, line) => containerLog(`${job}/${host}`, line)));
    this.states.connect({
      lambda: this.lambda,
      submitBatchJob: (p) => this.batch.submitJobSync(p),
      createTrainingJob: (p) => this.sagemaker.createTrainingJobSync(p),
      objectStore: this.s3.mapObjectStore(this.app),
      putEvents: async (p) => {
        const result = this.events.putEvents((p.Entries as Array<Record<string, unknown>>) ?? []);
        if (result.FailedEntryCount) throw new TaskError('EventBridge.FailedEntryError', JSON.stringify(result));
        return result;
      },
      startExecution: async (p, mode) => {
        const execution = this.states.start(String(p.StateMachineArn), parseInput(p.Input), p.Name === undefined ? undefined : String(p.Name));
        if (mode === 'async') return { ExecutionArn: execution.executionArn, StartDate: execution.startDate.toISOString() };
        const done = await execution.done;
        if (done.status !== 'SUCCEEDED') throw new TaskError('States.TaskFailed', JSON.stringify({ Error: done.error, Cause: done.cause, Status: done.status }));
        return { ExecutionArn: done.executionArn, Status: done.status, Output: mode === 'sync' ? JSON.stringify(done.output) : done.output };
      },
      awsSdk: async (service, action, p) => {
        if (service === 'cloudwatch' && action === 'describeAlarms') return this.alarms.describeAlarms(p);
        if (service === 'eventbridge' && action === 'putEvents') return this.events.putEvents((p.Entries as Array<Record<string, unknown>>) ?? []);
        return callAwsSdk(this.endpoints, env.region, service, action, p);
      },
    });

    this.firehose = new DeliveryStreams(this.app, this.s3.endpoint, this.clock, this.timeline);
    this.identity = await IdentityProvider.create();
    this.httpApis = new HttpApis(this.app, this.lambda, this.identity);
    this.urls = new FunctionUrls(this.app, this.lambda);
    const customResources = new CustomResources(this.lambda, twinUrl, this.timeline, new BucketDeployments(this.s3.endpoint, env.region));

    this.server.jsonService('AWSStepFunctions', sfnOperations(this.states));
    this.server.jsonService('AWSEvents', this.events.operations());
    this.server.jsonService('Firehose_20150804', this.firehose.operations());
    this.server.jsonService('AmazonSQS', sqsOperations(this.sqs));
    this.server.jsonService('GraniteServiceVersion20100801', cloudWatchOperations(this.metrics, this.alarms));
    this.server.route(lambdaApiRoute(this.lambda, env, this.asyncInvocations));
    this.server.route(this.urls.route());
    this.server.route(this.httpApis.route());
    this.server.route(customResources.route());
    this.server.route(stackUpdateRoute((cdkOut) => this.update(cdkOut)));
    this.server.route(consoleRoute(this));

    this.streams = new TableStreams(this.app, this.dynamodb.tables, this.dynamodb.client(env.region), this.lambda, this.timeline);
    await this.streams.start();
    this.events.start();
    // Before the alarms: each twin minute the queues publish their counts just before the alarms read the minute.
    this.sqs.start();
    this.alarms.start();
    // Custom resources run once the services their functions call are up, as the last resources CloudFormation creates.
    await customResources.createAll(this.app);
    this.updater = new StackUpdater(this.reconcilers(), customResources, this.timeline, (name) => this.lambda.latestVersionNumber(name));
    this.timeline.add('twin', `up at ${twinUrl}: ${this.app.stacks.map((s) => s.stackName).join(', ')} (time scale ${this.clock.scale})`);
    if (options.stateFile) this.writeStateFile(options.stateFile);
  }

  /**
   * Applies a newly synthesized cloud assembly to the running twin as CloudFormation updates the stacks (see
   * update/stack-update.ts); tables, buckets and their data stay. Returns the change set per stack, which also goes
   * on the timeline, and rewrites the state file with the new outputs.
   */
  async update(cdkOut: string): Promise<StackChangeSummary[]> {
    const next = new SynthesizedApp(CloudAssembly.read(cdkOut), this.app.env);
    this.timeline.add('cloudformation', `stack update from ${cdkOut} started`);
    let changes: ChangeSet;
    try {
      changes = await this.updater.apply(this.app, next);
    } catch (err) {
      this.timeline.add('error', `stack update from ${cdkOut}: ${(err as Error).message}`);
      throw err;
    }
    this.app = next;
    const summary = changes.summary();
    for (const line of describeChangeSet(summary)) this.timeline.add('cloudformation', `stack update: ${line}`);
    if (this.options.stateFile) this.writeStateFile(this.options.stateFile);
    return summary;
  }

  /** Each service's part in a stack update, in the order CloudFormation's dependencies need (tables before streams). */
  private reconcilers(): ServiceReconciler[] {
    return [
      { reconcile: (c) => this.dynamodb.reconcile(c), cleanUp: (c) => this.dynamodb.cleanUp(c) },
      { reconcile: (c) => this.s3.reconcile(c), cleanUp: (c) => this.s3.cleanUp(c, this.timeline) },
      { reconcile: (c) => this.sqs.reconcile(c.newApp) },
      { reconcile: (c) => this.lambda.reconcile(c), cleanUp: (c) => this.lambda.cleanUp(c) },
      { reconcile: (c) => this.asyncInvocations.reconcile(c.newApp) },
      { reconcile: (c) => this.urls.reconcile(c.newApp) },
      { reconcile: (c) => this.streams?.reconcile(c.newApp, this.dynamodb.tables) },
      { reconcile: (c) => reconcileStateMachines(this.states, c.newApp, this.clock, this.timeline) },
      { reconcile: (c) => this.events.reconcile(c.newApp) },
      { reconcile: (c) => this.alarms.reconcile(c.newApp) },
      { reconcile: (c) => this.firehose.reconcile(c.newApp) },
      { reconcile: (c) => this.httpApis.reconcile(c.newApp) },
      { reconcile: (c) => this.batch.reconcile(c.newApp) },
      { reconcile: (c) => this.sagemaker.reconcile(c.newApp) },
    ];
  }

  /** Resolved CfnOutputs of a stack that has `name`, or of the only stack that has it. */
  output(name: string): string {
    const found = Object.values(this.app.outputs()).filter((outputs) => name in outputs);
    if (found.length !== 1) throw new Error(`expected exactly one stack with the output ${name}, found ${found.length}`);
    return found[0][name];
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.streams?.stop();
    this.events?.stop();
    this.alarms?.stop();
    this.sqs?.stop();
    await this.firehose?.flushAll();
    this.firehose?.stop();
    for (const execution of this.states?.executions ?? []) if (execution.status === 'RUNNING') this.states.stopExecution(execution.executionArn, 'Twin.Stopped', 'the twin stopped');
    this.lambda?.stop();
    this.clock.stop();
    await this.server.close();
    await Promise.all([this.dynamodb?.stop(), this.s3?.stop()]);
    // The state file says the twin is up; a stopped twin must not leave clients pointed at dead endpoints.
    if (this.options.stateFile) rmSync(this.options.stateFile, { force: true });
  }

  private onFunctionLine(functionName: string, version: string, line: string): void {
    for (const datapoint of datapointsOfLogLine(line)) this.metrics.put(datapoint);
    let lines = this.functionLogs.get(functionName);
    if (!lines) this.functionLogs.set(functionName, (lines = []));
    lines.push(line);
    if (lines.length > LOG_LINES_KEPT) lines.shift();
    this.options.onFunctionLog?.(functionName, version, line);
  }

  /** What Lambda publishes under AWS/Lambda for every invocation, with the dimension sets CloudWatch offers. */
  private recordInvocationMetrics(record: InvocationRecord): void {
    const sets: Array<Record<string, string>> = [{ FunctionName: record.functionName }];
    if (record.qualifier) {
      const resource = `${record.functionName}:${record.qualifier}`;
      sets.push({ FunctionName: record.functionName, Resource: resource });
      if (record.qualifier !== record.executedVersion) {
        sets.push({ FunctionName: record.functionName, Resource: resource, ExecutedVersion: record.executedVersion });
      }
    }
    const timestamp = Date.now();
    for (const dimensions of sets) {
      for (const [metricName, value, unit] of [
        ['Invocations', 1, 'Count'],
        ['Errors', record.error ? 1 : 0, 'Count'],
        ['Duration', record.durationMs, 'Milliseconds'],
      ] as const) {
        this.metrics.put({ namespace: 'AWS/Lambda', metricName, dimensions, timestamp, value, unit });
      }
    }
  }

  private writeStateFile(file: string): void {
    const firstUrl = [...this.urls.urls.keys()][0];
    const apis = [...this.httpApis.apis.keys()];
    const state: TwinStateFile = {
      twinUrl: this.url,
      consoleUrl: `${this.url}/`,
      apiUrl: apis.length === 1 ? `${this.url}/api/` : apis.length ? `${this.url}/api/${apis[0]}/` : undefined,
      inferenceUrl: firstUrl ? `${this.url}/lambda-url/${firstUrl}/` : undefined,
      dynamodbEndpoint: this.endpoints.dynamodb,
      s3Endpoint: this.endpoints.s3,
      region: this.app.env.region,
      stacks: Object.fromEntries(Object.entries(this.app.outputs()).map(([stack, outputs]) => [stack, { outputs }])),
    };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
  }
}

function parseInput(input: unknown): unknown {
  if (typeof input !== 'string') return input ?? {};
  try {
    return JSON.parse(input);
  } catch {
    throw new TaskError('States.Runtime', 'Input of states:startExecution is not JSON');
  }
}
