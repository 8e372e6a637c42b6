import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { BatchScoring, type BatchScoringProps } from '../../lib/batch-scoring';
import { MlopsTeamStack } from '../../lib/mlops-team-stack';
import { projectContext } from '../helpers/project-context';
import { exampleConfig } from '../helpers/synth';
import { actionsOf, identityStatements } from './monitoring/iam';
import { nagFindings } from './monitoring/nag';
import { teamFixture, type TeamFixture } from './monitoring/team-fixture';

const scoring = (f: TeamFixture, overrides: Partial<BatchScoringProps> = {}) =>
  new BatchScoring(f.stack, 'Scoring', { modelName: 'card-fraud', registry: f.registry, artifactStore: f.artifactStore, metricsNamespace: f.metricsNamespace, ...overrides });

/** The definition with every CloudFormation reference replaced by a placeholder string. */
const definitionOf = (template: Template) => {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const parts = (machine.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'REF')).join(''));
};

describe('BatchScoring', () => {
  it('plans, scores chunks on a Distributed Map reading the plan\'s chunk list, at most maxConcurrency at once, then finishes', () => {
    const f = teamFixture();
    scoring(f, { maxConcurrency: 7 });
    const template = Template.fromStack(f.stack);
    const definition = definitionOf(template);
    expect(Object.keys(definition.States)).toEqual(['Request', 'Plan', 'ScoreChunks', 'Finish']);
    expect(definition.States.ScoreChunks).toMatchObject({
      Type: 'Map',
      MaxConcurrency: 7,
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' }, StartAt: 'ScoreChunk' },
      ItemReader: { ReaderConfig: { InputType: 'JSON' }, Parameters: { 'Key.$': '$.plan.chunksKey' } },
      ResultPath: '$.parts',
    });
    const handlers = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler', Runtime: 'nodejs24.x' } }));
    // Beside the registry's stream publisher, which the fixture's registry brings.
    expect(handlers.map((fn) => fn.Properties.Description).filter((d: string) => d.endsWith('(card-fraud)')).sort()).toEqual([
      'Scores one chunk of a scoring input (card-fraud)',
      'Splits a scoring input into chunks of whole rows (card-fraud)',
      'Writes the manifest of a scoring run (card-fraud)',
    ]);
  });

  it("grants the functions the serving reads and the artifact store's scoring/ prefix only, plus the team's data buckets", () => {
    const f = teamFixture();
    const data = new s3.Bucket(f.stack, 'Datasets');
    scoring(f, { dataBuckets: [data] });
    const template = Template.fromStack(f.stack);
    const finish = identityStatements(template, 'ScoringFinishFunctionRole');
    const resources = JSON.stringify(finish.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:PutObject'))).map((s) => s.Resource));
    expect(resources).toContain('/scoring/*');
    expect(resources).toMatch(/Datasets/);
    // Finish loads no model: it has no registry read.
    expect(finish.some((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))).toBe(false);
    const score = identityStatements(template, 'ScoringScoreChunkFunctionRole');
    expect(score.some((s) => actionsOf(s).includes('dynamodb:GetItem'))).toBe(true);
  });

  it('reports every bad prop at once', () => {
    const f = teamFixture();
    expect(() => scoring(f, { maxConcurrency: 0, timeout: Duration.days(30) })).toThrow(
      /invalid props:\n {2}- maxConcurrency must be an integer between 1 and 1000, got: 0\n {2}- timeout \(minutes\) must be between 1 and 10080, got: 43200/,
    );
  });

  it('starts a run on each schedule: a rule whose target starts the state machine with the request, the output under the event time', () => {
    const f = teamFixture();
    const built = scoring(f, {
      schedules: [
        { expression: 'cron(0 2 * * ? *)', input: 's3://team-data/daily/transactions.parquet', output: 's3://team-data/scores/daily', version: 3, rowIdColumn: 'txn_id' },
        { expression: 'rate(7 days)', input: 's3://team-data/weekly.csv', output: 's3://team-data/scores/weekly/' },
      ],
    });
    const template = Template.fromStack(f.stack);
    template.resourceCountIs('AWS::Events::Rule', 2);
    const rules = Object.values(template.findResources('AWS::Events::Rule')).map((r) => r.Properties);
    expect(rules.map((r) => r.ScheduleExpression)).toEqual(['cron(0 2 * * ? *)', 'rate(7 days)']);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^ScoringStateMachine') },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ScoringScheduleDeadLetters'), 'Arn'] } },
          InputTransformer: Match.objectLike({ InputPathsMap: { time: '$.time' } }),
        }),
      ],
    });
    const [daily, weekly] = rules.map((r) => r.Targets[0]);
    expect(JSON.parse(daily.InputTransformer.InputTemplate.replace('<time>', '2026-12-03T02:00:00Z'))).toEqual({
      input: 's3://team-data/daily/transactions.parquet',
      output: 's3://team-data/scores/daily/2026-12-03T02:00:00Z',
      version: 3,
      rowIdColumn: 'txn_id',
    });
    expect(JSON.parse(weekly.InputTransformer.InputTemplate.replace('<time>', 'T')).output).toBe('s3://team-data/scores/weekly/T');
    expect(built.scheduleRules).toHaveLength(2);
    // The rules' role may start this state machine only.
    const starts = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((st: { Action: unknown }) => st.Action === 'states:StartExecution');
    expect(new Set(starts.map((st: { Resource: { Ref: string } }) => st.Resource.Ref))).toEqual(new Set([Object.keys(template.findResources('AWS::StepFunctions::StateMachine'))[0]]));
  });

  it('has no rule and no schedule queue without schedules', () => {
    const f = teamFixture();
    const built = scoring(f);
    Template.fromStack(f.stack).resourceCountIs('AWS::Events::Rule', 0);
    expect(built.scheduleDeadLetterQueue).toBeUndefined();
  });

  it('reports every bad schedule field with the prop problems, each with its path and value', () => {
    const f = teamFixture();
    const good = { expression: 'rate(1 day)', input: 's3://team-data/a.csv', output: 's3://team-data/out' };
    expect(() =>
      scoring(f, { maxConcurrency: 0, schedules: [good, { ...good, expression: 'daily', input: 'team-data/a.csv', version: 0 }] }),
    ).toThrow(
      /invalid props:\n {2}- maxConcurrency must be an integer between 1 and 1000, got: 0\n {2}- schedules\.1\.input: expected s3:\/\/bucket\/key, got: "team-data\/a\.csv"\n {2}- schedules\.1\.version: .*, got: 0\n {2}- schedules\.1\.expression: expected rate\(\.\.\.\) or cron\(\.\.\.\), got: "daily"$/,
    );
    const g = teamFixture();
    expect(() => scoring(g, { schedules: Array.from({ length: 11 }, () => good) })).toThrow(/- schedules: .*, got: 11 schedules/);
  });

  it('passes cdk-nag', () => {
    const f = teamFixture();
    const built = scoring(f);
    expect(nagFindings(f.app, built)).toEqual([]);
  });

  it('passes cdk-nag with schedules', () => {
    const f = teamFixture();
    const built = scoring(f, { schedules: [{ expression: 'rate(1 day)', input: 's3://team-data/a.csv', output: 's3://team-data/out' }] });
    expect(nagFindings(f.app, built)).toEqual([]);
  });
});

describe('BatchScoring in the team stack', () => {
  it("starts a run on each of the team config's scoring schedules", () => {
    const config = exampleConfig({ scoring: { schedules: [{ expression: 'cron(30 1 * * ? *)', input: 's3://fraud-data/nightly.csv', output: 's3://fraud-data/scores' }] } });
    const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
    const template = Template.fromStack(new MlopsTeamStack(app, 'Mlops-fraud', { config }));
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(30 1 * * ? *)',
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^BatchScoringStateMachine') } })],
    });
  });
});
