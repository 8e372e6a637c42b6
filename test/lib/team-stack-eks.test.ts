import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EksInference } from '../../lib/eks-inference';
import { eksExampleConfig, synthTeamStack, type SynthesizedTeam } from '../helpers/synth';
import { nagFindings } from './monitoring/nag';
import { iamWildcardProblems } from './team-stack-iam';

/** The example team (pipelines/teams/fraud.json) served from an existing EKS cluster instead of Lambda. */
describe('MlopsTeamStack (example team on EKS)', () => {
  let synthesized: SynthesizedTeam;
  let template: Template;
  let findings: string[];
  beforeAll(() => {
    synthesized = synthTeamStack(eksExampleConfig());
    template = synthesized.template;
    findings = nagFindings(synthesized.app);
  });

  it('has no unacknowledged AwsSolutions or Serverless findings', () => {
    expect(findings).toEqual([]);
  });

  it('grants no "*" or "service:*" action, and Resource "*" only for actions without resource-level permissions', () => {
    expect(iamWildcardProblems(template)).toEqual([]);
  });

  it('composes the EKS tier from the inference section, serving the configured model version', () => {
    const { inference } = synthesized.stack;
    expect(inference).toBeInstanceOf(EksInference);
    const deployment = (inference as EksInference).manifests.find((m) => m.kind === 'Deployment') as {
      metadata: { namespace: string };
      spec: { replicas: number; template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> } } };
    };
    expect(deployment.metadata.namespace).toBe('fraud');
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.containers[0].env).toContainEqual({ name: 'MODEL_VERSION', value: '3' });
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { ClusterName: 'ml-platform', Namespace: 'fraud' });
  });

  it('has the drift job compare traffic with the served version, which no deployment flow marks live', () => {
    const job = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (fn) => (fn.Properties as { Environment?: { Variables?: Record<string, unknown> } }).Environment?.Variables?.DRIFT_CONFIG,
    ) as { Properties: { Environment: { Variables: { DRIFT_CONFIG: string } } } };
    expect(JSON.parse(job.Properties.Environment.Variables.DRIFT_CONFIG)).toMatchObject({ servedVersion: 3 });
  });

  it('has no deployment flow: the state machines are the training pipeline, batch scoring and the drift run, and no Lambda alias outputs', () => {
    expect(synthesized.stack.deploymentFlow).toBeUndefined();
    expect(Object.keys(template.findResources('AWS::StepFunctions::StateMachine')).sort()).toEqual([
      expect.stringMatching(/^BatchScoringStateMachine/),
      expect.stringMatching(/^DriftMonitorStateMachine/),
      expect.stringMatching(/^TrainingPipelineStateMachine/),
    ]);
    const outputs = Object.keys(template.toJSON().Outputs);
    expect(outputs).toContain('InferenceServiceUrl');
    for (const lambdaOnly of ['DeploymentStateMachineArn', 'InferenceFunctionName', 'InferenceAliasName', 'InferenceUrl']) {
      expect(outputs).not.toContain(lambdaOnly);
    }
  });
});
