import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { MlopsTeamStack } from '../../lib/mlops-team-stack';
import type { TeamConfig, TeamConfigInput } from '../../contracts/team-config';
import { eksExampleConfig, exampleConfig } from '../helpers/synth';
import { projectContext } from '../helpers/project-context';
import { actionGrants, serviceStatements, tableWriteGrants, type TableWriteGrant } from './team-stack-iam';

/** The functions that run the registry core (lambdas/registry/registry.ts) and so may write the table. */
const REGISTRY_WRITERS = [
  'ApprovalApi/HandlerRole',
  'TrainingPipeline/RegisterFunctionRole',
  'TrainingPipeline/RecordFailureFunctionRole',
  'DeploymentFlow/BeginFunctionRole',
  'DeploymentFlow/PrepareFunctionRole',
  'DeploymentFlow/FinalizeFunctionRole',
  'DeploymentFlow/RollbackFunctionRole',
  'DeploymentFlow/ReleaseFunctionRole',
  // The hourly shadow report keeps its reports on the shadow version.
  'ShadowTest/ReportFunctionRole',
];
const SAGEMAKER_WRITERS = ['Registry/SageMakerMirror/SyncRole', 'Registry/SageMakerMirror/MirrorRole'];
// The drift and the quality retrain triggers share the model's cooldown item.
const COOLDOWN_WRITERS = ['DriftMonitor/RetrainTriggerRole', 'ModelQuality/RetrainTriggerRole'];

/** The example team with every optional feature on: SageMaker mirroring, alarm e-mails. */
function everyFeature(): TeamConfig {
  const base = exampleConfig();
  return exampleConfig({
    deployment: { ...base.deployment, mirrorToSageMaker: true } as TeamConfigInput['deployment'],
    alarms: { ...base.alarms, notifyEmail: 'ml-oncall@example.com' } as TeamConfigInput['alarms'],
  });
}

interface Synthesized {
  stack: MlopsTeamStack;
  template: Template;
  tableId: string;
  /** Logical id of a role -> its construct path inside the stack. */
  rolePath: (logicalId: string) => string;
}

/** Templates are read for their policies only: functions are not bundled. */
function synth(config: TeamConfig, change?: (stack: MlopsTeamStack) => void): Synthesized {
  const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new MlopsTeamStack(app, `Mlops-${config.team}`, { config });
  change?.(stack);
  const paths = new Map(
    stack.node
      .findAll()
      .filter((c): c is iam.CfnRole => c instanceof iam.CfnRole)
      .map((role) => [stack.getLogicalId(role), role.node.scope!.node.path.slice(stack.node.path.length + 1)]),
  );
  return {
    stack,
    template: Template.fromStack(stack),
    tableId: stack.getLogicalId(stack.registry.table.node.defaultChild as CfnResource),
    rolePath: (logicalId) => paths.get(logicalId) ?? `(not a role of this stack: ${logicalId})`,
  };
}

const rolesOf = (grants: TableWriteGrant[], s: Synthesized) => [...new Set(grants.map((g) => s.rolePath(g.role)))].sort();
const unconditioned = (grants: TableWriteGrant[]) => grants.filter((g) => g.condition === undefined);

describe.each([
  ['the example team', () => exampleConfig(), REGISTRY_WRITERS],
  ['the example team with every optional feature', everyFeature, [...REGISTRY_WRITERS, ...SAGEMAKER_WRITERS]],
])('who may write the registry table: %s', (_name, config, writers) => {
  let s: Synthesized;
  let grants: TableWriteGrant[];
  beforeAll(() => {
    s = synth(config());
    grants = tableWriteGrants(s.template, s.tableId);
  });

  it("lets only the registry's own functions write without a key condition", () => {
    expect(rolesOf(unconditioned(grants), s)).toEqual([...writers].sort());
  });

  it('gives them PutItem and UpdateItem only', () => {
    for (const grant of unconditioned(grants)) expect(grant.actions, s.rolePath(grant.role)).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });

  it("lets the drift and quality retrain triggers write their cooldown item and nothing else", () => {
    const conditioned = grants.filter((g) => g.condition !== undefined);
    expect(rolesOf(conditioned, s)).toEqual(COOLDOWN_WRITERS);
    expect(conditioned.map((g) => g.condition)).toEqual(COOLDOWN_WRITERS.map(() => ({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['COOLDOWN#card-fraud'] } })));
  });

  it('grants BatchWriteItem and PartiQL writes to nobody, and DeleteItem only on the cooldown item', () => {
    const actions = (g: TableWriteGrant) => g.actions;
    expect(grants.flatMap(actions).filter((a) => a === 'dynamodb:BatchWriteItem' || a.startsWith('dynamodb:PartiQL'))).toEqual([]);
    expect(rolesOf(grants.filter((g) => g.actions.includes('dynamodb:DeleteItem')), s)).toEqual(COOLDOWN_WRITERS);
  });

  it('denies writes in the table policy to every role but these, and allows nothing there', () => {
    const table = s.template.toJSON().Resources[s.tableId];
    const statements = table.Properties.ResourcePolicy.PolicyDocument.Statement as Array<{ Effect: string; Sid?: string; Condition?: Record<string, Record<string, unknown>> }>;
    expect(statements.filter((st) => st.Effect !== 'Deny')).toEqual([]);
    const spared = statements.find((st) => st.Sid === 'OnlyRegistryWritersWrite')!.Condition!.ArnNotEquals['aws:PrincipalArn'] as Array<{ 'Fn::GetAtt': [string, string] }>;
    expect(spared.map((arn) => s.rolePath(arn['Fn::GetAtt'][0])).sort()).toEqual([...writers, ...COOLDOWN_WRITERS].sort());
  });
});

describe('who may start a training run', () => {
  it('is the approval API (whose runs name the signed-in requester), the drift and quality retrain triggers and the schedule rule only', () => {
    const s = synth(exampleConfig()); // its training.schedule is set: the schedule rule's role starts runs too
    expect(exampleConfig().training.schedule).toBeDefined();
    const machine = s.stack.getLogicalId(s.stack.trainingPipeline.stateMachine.node.defaultChild as CfnResource);
    const starters = actionGrants(s.template, machine, ['states:StartExecution', 'states:StartSyncExecution']);
    expect(rolesOf(starters, s)).toEqual(['ApprovalApi/HandlerRole', 'DriftMonitor/RetrainTriggerRole', 'ModelQuality/RetrainTriggerRole', 'TrainingPipeline/StateMachine/EventsRole']);
  });
});

describe('the table write check', () => {
  it('catches a role granted the table with grantReadWriteData', () => {
    // GIVEN a stack where one more role is given the table the CDK way
    const s = synth(exampleConfig(), (stack) => {
      const intruder = new iam.Role(stack, 'Intruder', { assumedBy: new iam.AccountRootPrincipal() });
      stack.registry.table.grantReadWriteData(intruder);
    });
    // WHEN
    const roles = rolesOf(unconditioned(tableWriteGrants(s.template, s.tableId)), s);
    // THEN
    expect(roles).toContain('Intruder');
    expect(roles).not.toEqual([...REGISTRY_WRITERS].sort());
  });

  it('catches a wildcard write on "*"', () => {
    const s = synth(exampleConfig(), (stack) => {
      const intruder = new iam.Role(stack, 'Intruder', { assumedBy: new iam.AccountRootPrincipal() });
      intruder.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] }));
    });
    const grant = tableWriteGrants(s.template, s.tableId).find((g) => s.rolePath(g.role) === 'Intruder');
    expect(grant?.actions).toContain('dynamodb:BatchWriteItem');
  });
});

describe.each([
  ['the example team with every optional feature', everyFeature],
  ['the example team on EKS', eksExampleConfig],
])('service trust and key policies: %s', (_name, config) => {
  let template: Template;
  let stack: Stack;
  beforeAll(() => {
    const s = synth(config());
    template = s.template;
    stack = s.stack;
  });

  it('conditions every service principal of a role trust or key policy on this account', () => {
    const statements = serviceStatements(template);
    expect(statements.filter((s) => s.type === 'AWS::IAM::Role').length).toBeGreaterThan(10);
    // CloudWatch Logs names the log group in the encryption context of its KMS calls (not aws:SourceAccount): the log
    // key's statement is held to this account by that ARN (lib/private/log-encryption.ts).
    const onThisAccount = (condition: Record<string, Record<string, unknown>> | undefined) =>
      JSON.stringify(condition?.StringEquals?.['aws:SourceAccount']) === JSON.stringify({ Ref: 'AWS::AccountId' }) ||
      JSON.stringify(condition?.ArnLike?.['kms:EncryptionContext:aws:logs:arn'] ?? '').includes('{"Ref":"AWS::AccountId"},":log-group:');
    const unconditioned = statements
      .filter((s) => !onThisAccount(s.statement.Condition as Record<string, Record<string, unknown>> | undefined))
      .map((s) => `${s.logicalId} (${JSON.stringify(s.statement.Principal)})`);
    expect(unconditioned).toEqual([]);
    expect(stack.account).toBeDefined();
  });

  it('names the source ARN pattern of the services that set it', () => {
    const sourceArnOf = (service: string) =>
      serviceStatements(template)
        .filter((s) => s.statement.Principal?.Service === service)
        .map((s) => JSON.stringify((s.statement.Condition as { ArnLike?: Record<string, unknown> }).ArnLike?.['aws:SourceArn']));
    expect(new Set(sourceArnOf('events.amazonaws.com'))).toEqual(new Set([JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':rule/*']] })]));
    for (const [service, suffix] of [
      ['states.amazonaws.com', '":stateMachine:*"'],
      ['sagemaker.amazonaws.com', '":sagemaker:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":*"'],
      ['ecs-tasks.amazonaws.com', '":ecs:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":*"'],
      ['vpc-flow-logs.amazonaws.com', '":vpc-flow-log/*"'],
    ]) {
      const arns = sourceArnOf(service);
      expect(arns.length, service).toBeGreaterThan(0);
      for (const arn of arns) expect(arn, service).toContain(suffix);
    }
  });
});
