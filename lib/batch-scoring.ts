import { Aws, Duration, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { z } from 'zod';
import { MAX_SCORING_SCHEDULES, scheduledOutput, type ScoringRequest, type ScoringSchedule, scoringScheduleSchema } from '../contracts/batch-scoring';
import { byomArtifactKey } from '../contracts/storage-layout';
import type { FunctionEnvironment } from '../contracts/function-environment';
import type { IArtifactStore } from './artifact-store';
import { MODEL_ARTIFACTS_PREFIX } from './inference-tier';
import type { IModelRegistry } from './model-registry';
import { MlopsFunction } from './private/mlops-function';
import { acknowledge, acknowledgePolicyWildcards } from './private/nag';
import { rangeProblem, throwOnPropProblems } from './private/prop-problems';
import { deadLetterQueue, ruleTargetOptions } from './private/queues';
import { acknowledgeStateMachineRole, lambdaStep, monitoredStateMachine } from './private/state-machines';

/** Key prefix of the artifact store that batch scoring may read inputs from and write outputs and chunk lists to. */
export const SCORING_PREFIX = 'scoring/';

/** Props of {@link BatchScoring}. */
export interface BatchScoringProps {
  /** The registry model whose versions score the data. */
  readonly modelName: string;
  /** The registry: the live version, and a named version's artifact and SHA-256. */
  readonly registry: IModelRegistry;
  /** Holds the model artifacts; inputs and outputs may live under its `scoring/` prefix. */
  readonly artifactStore: IArtifactStore;
  /** CloudWatch namespace of the functions' metrics (`MLOps/<team>`). */
  readonly metricsNamespace: string;
  /**
   * Buckets of the team's datasets: a run may read its input from and write its output to any key of them.
   * @default - none; inputs and outputs under the artifact store's `scoring/` prefix only
   */
  readonly dataBuckets?: readonly s3.IBucket[];
  /**
   * Chunks scored at once (Distributed Map children).
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * The longest a run may take.
   * @default Duration.hours(6)
   */
  readonly timeout?: Duration;
  /**
   * Scoring runs started on a schedule (at most 10), each an EventBridge rule whose target starts the state machine
   * with the schedule's request; a run writes under `<output>/<scheduled time>/`. Its input must be readable by the
   * functions: under the artifact store's `scoring/` prefix or in `dataBuckets`.
   * @default - none: runs start only on demand (`mlops score`)
   */
  readonly schedules?: readonly ScoringSchedule[];
}

/**
 * Batch scoring of a CSV or Parquet dataset with the live (or a named approved) version, the same inference code as
 * the live tier: a state machine that plans chunks of whole rows (whole row groups of a Parquet file), scores them on
 * a Distributed Map (one child per chunk, each writing `<output>/part-NNNNN.csv` with row ids and the version) and
 * writes `<output>/manifest.json` last. Started by `mlops score` or a schedule (the execution input is
 * contracts/batch-scoring.ts's ScoringRequest); its progress is the map run's item counts (DescribeMapRun).
 */
export class BatchScoring extends Construct {
  /** Runs one scoring request; its input is a ScoringRequest. */
  readonly stateMachine: sfn.StateMachine;
  /** The rules of `schedules`, in their order. */
  readonly scheduleRules: events.Rule[];
  /** Where a scheduled start EventBridge could not deliver (after a day of retries) is kept; only with schedules. */
  readonly scheduleDeadLetterQueue?: sqs.IQueue;

  constructor(scope: Construct, id: string, props: BatchScoringProps) {
    super(scope, id);
    const maxConcurrency = props.maxConcurrency ?? 10;
    const timeout = props.timeout ?? Duration.hours(6);
    throwOnPropProblems(this, [
      ...rangeProblem('maxConcurrency', maxConcurrency, { min: 1, max: 1000, integer: true }),
      // A standard execution lasts at most a year; a scoring run that long is a mistake.
      ...rangeProblem('timeout (minutes)', timeout.toMinutes({ integral: false }), { min: 1, max: 60 * 24 * 7 }),
      ...scheduleProblems(props.schedules ?? []),
    ]);
    const functions = this.createFunctions(props);
    this.grantData(functions, props);
    this.stateMachine = monitoredStateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition(functions, props.artifactStore, maxConcurrency)),
      comment: `Batch scoring of ${props.modelName}: plan chunks, score them on a Distributed Map, write the manifest`,
      timeout,
    });
    this.acknowledgeWildcards(functions, props.artifactStore);
    if (props.schedules?.length) {
      // EventBridge delivers to this queue, so it is encrypted with an SQS-managed key (see deadLetterQueue).
      this.scheduleDeadLetterQueue = deadLetterQueue(this, 'ScheduleDeadLetters');
    }
    this.scheduleRules = (props.schedules ?? []).map((schedule, i) => this.scheduleRule(schedule, i));
  }

  /** A rule starting a run of `schedule`'s request on its expression; the output names the event's time. */
  private scheduleRule({ expression, ...request }: ScoringSchedule, index: number): events.Rule {
    const input: ScoringRequest = { ...request, output: scheduledOutput(request.output, events.EventField.time) };
    return new events.Rule(this, `Schedule${index}`, {
      description: `Batch scoring of ${request.input} ${expression}`,
      schedule: events.Schedule.expression(expression),
      targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject(input), ...ruleTargetOptions(this.scheduleDeadLetterQueue!) })],
    });
  }

  /** The wildcards the Step Functions L2s write for this machine's tasks, its item reader and its child executions. */
  private acknowledgeWildcards(functions: ReturnType<BatchScoring['createFunctions']>, artifactStore: IArtifactStore): void {
    acknowledgeStateMachineRole(this.stateMachine, [
      ...Object.values(functions).map((fn) => ({
        resource: `${fn.functionArn}:*`,
        reason: 'Invoke of the versions and aliases of this one scoring step function (added by the LambdaInvoke task).',
      })),
      {
        // The ARN as the item reader writes it, from the bucket's name.
        resource: `arn:${Aws.PARTITION}:s3:::${artifactStore.bucket.bucketName}/*`,
        reason: "The Distributed Map reads the run's chunk list, whose key (scoring/<model>/<execution>/chunks.json) is known only at run time; CDK's S3JsonItemReader grants s3:GetObject on the bucket's objects.",
      },
    ]);
    const childPolicy = this.stateMachine.node.tryFindChild('DistributedMapPolicy');
    if (childPolicy instanceof iam.Policy) {
      acknowledgePolicyWildcards(childPolicy, 'The Distributed Map starts, describes and stops its child executions of this one state machine, named at run time (added by CDK\'s DistributedMap).');
    }
    for (const fn of Object.values(functions)) {
      acknowledge(fn, 'Serverless-LambdaDLQ', 'Invoked synchronously by the state machine; a failure fails its task (retried, then the run), there is no event to keep.');
    }
  }

  private createFunctions(props: BatchScoringProps) {
    const environment = {
      MODEL_NAME: props.modelName,
      REGISTRY_TABLE_NAME: props.registry.table.tableName,
      ARTIFACT_BUCKET: props.artifactStore.bucket.bucketName,
    } satisfies FunctionEnvironment;
    const fn = (id: string, entry: string, description: string, options: { usesOnnxRuntime?: boolean; memorySize?: number; timeout?: Duration } = {}) =>
      new MlopsFunction(this, `${id}Function`, {
        entry: `lambdas/scoring/${entry}.handler.ts`,
        description: `${description} (${props.modelName})`,
        serviceName: 'batch-scoring',
        metricsNamespace: props.metricsNamespace,
        environment,
        ...options,
      });
    // Planning streams the whole input once, and a chunk's worker holds its part's text: both get Lambda's longest timeout.
    const plan = fn('Plan', 'plan', 'Splits a scoring input into chunks of whole rows', { usesOnnxRuntime: true, memorySize: 1024, timeout: Duration.minutes(15) });
    const scoreChunk = fn('ScoreChunk', 'score-chunk', 'Scores one chunk of a scoring input', { usesOnnxRuntime: true, memorySize: 2048, timeout: Duration.minutes(15) });
    const finish = fn('Finish', 'finish', 'Writes the manifest of a scoring run', { timeout: Duration.minutes(1) });
    return { plan, scoreChunk, finish };
  }

  /**
   * Plan and ScoreChunk read the registry and the model's artifact (the serving grants' prefixes); all three read
   * inputs and write outputs under `scoring/` and in the data buckets; Plan writes the chunk list there too.
   */
  private grantData({ plan, scoreChunk, finish }: ReturnType<BatchScoring['createFunctions']>, props: BatchScoringProps): void {
    for (const fn of [plan, scoreChunk]) {
      props.registry.grantRead(fn);
      props.artifactStore.grantRead(fn, MODEL_ARTIFACTS_PREFIX);
      props.artifactStore.grantRead(fn, byomArtifactKey(props.modelName, '*'));
    }
    for (const fn of [plan, scoreChunk, finish]) {
      props.artifactStore.grantReadWrite(fn, SCORING_PREFIX);
      for (const bucket of props.dataBuckets ?? []) bucket.grantReadWrite(fn);
    }
  }

  private definition({ plan, scoreChunk, finish }: ReturnType<BatchScoring['createFunctions']>, artifactStore: IArtifactStore, maxConcurrency: number): sfn.IChainable {
    const request = new sfn.Pass(this, 'Request', {
      comment: 'The request and the execution name, which keys the chunk list',
      parameters: { 'request.$': '$', 'execution.$': '$$.Execution.Name' },
    });
    const planStep = lambdaStep(this, 'Plan', plan, {
      comment: 'Version to score with, chunks of whole rows of the input',
      payload: { 'request.$': '$.request', 'execution.$': '$.execution' },
      resultPath: '$.plan',
    });
    const chunks = new sfn.DistributedMap(this, 'ScoreChunks', {
      comment: 'One child per chunk: score it, write its part',
      itemReader: new sfn.S3JsonItemReader({ bucket: artifactStore.bucket, key: sfn.JsonPath.stringAt('$.plan.chunksKey') }),
      maxConcurrency,
      resultPath: '$.parts',
    });
    chunks.itemProcessor(lambdaStep(this, 'ScoreChunk', scoreChunk, { comment: 'Score one chunk into its part file', payload: { 'chunk.$': '$' }, resultPath: '$' }));
    const finishStep = lambdaStep(this, 'Finish', finish, {
      comment: 'Every part is written: the manifest',
      payload: { 'request.$': '$.request', 'plan.$': '$.plan', 'parts.$': '$.parts', 'execution.$': '$.execution' },
      resultPath: '$.result',
    });
    return request.next(planStep).next(chunks).next(finishStep);
  }

  /** Lets `grantee` start scoring runs and follow them (DescribeExecution, ListMapRuns, DescribeMapRun). */
  grantStartRun(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee).combine(this.stateMachine.grantRead(grantee));
  }
}

/** Every problem of the schedules, each with its path and the value it got (values not known until deployment are not checked). */
function scheduleProblems(schedules: readonly ScoringSchedule[]): string[] {
  const parsed = z.array(scoringScheduleSchema).max(MAX_SCORING_SCHEDULES).safeParse(schedules);
  if (parsed.success) return [];
  return parsed.error.issues.flatMap((issue) => {
    const value = issue.path.reduce<unknown>((at, key) => (at as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey], schedules);
    if (typeof value === 'string' && Token.isUnresolved(value)) return [];
    const shown = issue.path.length === 0 ? `${schedules.length} schedules` : JSON.stringify(value);
    return [`${['schedules', ...issue.path.map(String)].join('.')}: ${issue.message}, got: ${shown}`];
  });
}
