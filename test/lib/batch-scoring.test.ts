import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { BatchScoring, type BatchScoringProps } from '../../lib/batch-scoring';
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

  it('passes cdk-nag', () => {
    const f = teamFixture();
    const built = scoring(f);
    expect(nagFindings(f.app, built)).toEqual([]);
  });
});
