import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EksInference, inferenceManifests, type EksInferenceProps, type InferenceManifestSpec } from '../../lib/eks-inference';
import { REPO_ROOT } from '../../lib/private/mlops-function';
import { exampleConfig } from '../helpers/synth';
import { actionsOf, identityStatements } from './monitoring/iam';
import { nagFindings } from './monitoring/nag';
import { teamFixture, type TeamFixture } from './monitoring/team-fixture';

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud-inference:1.4.0';
const KUBECTL_ROLE = 'arn:aws:iam::123456789012:role/eks-admin';

/** The example team switched to the EKS tier, validated by the config schema (defaults filled in). */
function eksConfig() {
  const config = exampleConfig({
    inference: { kind: 'eks', clusterName: 'ml-prod', kubectlRoleArn: KUBECTL_ROLE, minReplicas: 2, maxReplicas: 6 },
  });
  if (config.inference.kind !== 'eks') throw new Error('expected the EKS tier');
  return { config, eks: config.inference };
}

function eksInference(f: TeamFixture, overrides: Partial<EksInferenceProps> = {}) {
  const { config, eks } = eksConfig();
  return new EksInference(f.stack, 'Inference', {
    modelName: config.model.name,
    registry: f.registry,
    artifactStore: f.artifactStore,
    metricsNamespace: f.metricsNamespace,
    clusterName: eks.clusterName,
    kubectlRoleArn: eks.kubectlRoleArn,
    namespace: eks.namespace,
    minReplicas: eks.minReplicas,
    maxReplicas: eks.maxReplicas,
    cpu: eks.cpu,
    memory: eks.memory,
    captureSamplePercent: eks.captureSamplePercent,
    latencyP99Ms: config.alarms.latencyP99Ms,
    errorRatePercent: config.alarms.errorRatePercent,
    imageUri: IMAGE,
    ...overrides,
  });
}

const SPEC: InferenceManifestSpec = {
  modelName: 'card-fraud',
  namespace: 'mlops',
  image: IMAGE,
  serviceAccountName: 'card-fraud-inference',
  minReplicas: 2,
  maxReplicas: 6,
  cpu: '500m',
  memory: '1Gi',
  targetCpuUtilizationPercent: 70,
  environment: { MODEL_NAME: 'card-fraud', MODEL_VERSION: '3' },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test walks rendered Kubernetes manifests, untyped JSON
type Manifest = Record<string, any>;
const byKind = (manifests: Manifest[], kind: string) => {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found).toHaveLength(1);
  return found[0];
};

describe('inferenceManifests', () => {
  it('renders a Deployment with readiness and liveness probes on the server contract', () => {
    // WHEN
    const deployment = byKind(inferenceManifests(SPEC), 'Deployment');
    // THEN
    const container = deployment.spec.template.spec.containers[0];
    expect(container.image).toBe(IMAGE);
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ping', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi' } });
    expect(container.env).toEqual([
      { name: 'MODEL_NAME', value: 'card-fraud' },
      { name: 'MODEL_VERSION', value: '3' },
    ]);
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  it('runs the container non-root, without privilege escalation or capabilities, on a read-only root filesystem', () => {
    // WHEN
    const pod = byKind(inferenceManifests(SPEC), 'Deployment').spec.template.spec;
    // THEN
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    // the only writable path is an emptyDir at /tmp
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes[0].emptyDir).toBeDefined();
    expect(pod.serviceAccountName).toBe('card-fraud-inference');
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('scales between the configured bounds on CPU and keeps evictions to one pod at a time', () => {
    // WHEN
    const manifests = inferenceManifests(SPEC);
    // THEN
    const hpa = byKind(manifests, 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'card-fraud-inference' },
      minReplicas: 2,
      maxReplicas: 6,
    });
    expect(hpa.spec.metrics[0].resource).toEqual({ name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } });
    const pdb = byKind(manifests, 'PodDisruptionBudget');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'card-fraud-inference' } } });
  });

  it('exposes the pods through a ClusterIP Service on port 80', () => {
    // WHEN
    const service = byKind(inferenceManifests(SPEC), 'Service');
    // THEN
    expect(service.spec).toEqual({
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/name': 'card-fraud-inference' },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    });
    expect(byKind(inferenceManifests(SPEC), 'ServiceAccount').metadata.name).toBe('card-fraud-inference');
  });
});

describe('EksInference', () => {
  it('applies the manifests to the imported cluster with the kubectl role and the v34 kubectl layer', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    eksInference(f);
    // THEN
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('Custom::AWSCDK-EKS-KubernetesResource', {
      ClusterName: 'ml-prod',
      RoleArn: KUBECTL_ROLE,
      Manifest: Match.serializedJson(Match.arrayWith([Match.objectLike({ kind: 'Namespace', metadata: Match.objectLike({ name: 'mlops' }) })])),
      Overwrite: true,
    });
    template.hasResource('Custom::AWSCDK-EKS-KubernetesResource', {
      Properties: Match.objectLike({ Manifest: Match.anyValue() }),
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('^InferenceNamespace')]),
    });
    template.hasResourceProperties('AWS::Lambda::LayerVersion', { Description: Match.stringLikeRegexp('kubectl 1\\.34') });
  });

  it('keeps the namespace when the stack is deleted (other workloads may share it)', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    eksInference(f);
    // THEN
    const namespaces = Template.fromStack(f.stack).findResources('Custom::AWSCDK-EKS-KubernetesResource', {
      DeletionPolicy: 'Retain',
    });
    expect(Object.keys(namespaces)).toEqual([expect.stringMatching(/^InferenceNamespace/)]);
  });

  it('renders the workload from the config: replicas, resources and the serving environment', () => {
    // GIVEN
    const f = teamFixture();
    const { eks } = eksConfig();
    // WHEN
    const tier = eksInference(f, { modelVersion: 7 });
    // THEN
    const deployment = tier.manifests.find((m) => m.kind === 'Deployment') as Manifest;
    const container = deployment.spec.template.spec.containers[0];
    expect(deployment.spec.replicas).toBe(eks.minReplicas);
    expect(container.resources.requests).toEqual({ cpu: eks.cpu, memory: eks.memory });
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({
      MODEL_NAME: 'card-fraud',
      MODEL_VERSION: '7',
      CAPTURE_SAMPLE_PERCENT: String(eks.captureSamplePercent),
      METRICS_NAMESPACE: 'MLOps/fraud',
      PORT: '8080',
    });
    for (const name of ['REGISTRY_TABLE_NAME', 'ARTIFACT_BUCKET', 'CAPTURE_STREAM_NAME', 'AWS_REGION']) {
      expect(env[name], name).toBeTruthy();
    }
    const hpa = tier.manifests.find((m) => m.kind === 'HorizontalPodAutoscaler') as Manifest;
    expect(hpa.spec).toMatchObject({ minReplicas: eks.minReplicas, maxReplicas: eks.maxReplicas });
  });

  it('binds the service account to a serving role through EKS Pod Identity, with the Lambda tier grants', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    eksInference(f);
    // THEN
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      ClusterName: 'ml-prod',
      Namespace: 'mlops',
      ServiceAccount: 'card-fraud-inference',
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^InferenceServingRole'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Action: ['sts:AssumeRole', 'sts:TagSession'], Principal: { Service: 'pods.eks.amazonaws.com' } })],
      },
    });
    const statements = identityStatements(template, 'InferenceServingRole');
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 's3:GetObject', 'firehose:PutRecordBatch']));
    expect(actions.filter((a) => a.includes('*') || /dynamodb:(Put|Update|Delete)/.test(a))).toEqual([]);
    expect(statements.some((s) => s.Resource === '*')).toBe(false);
  });

  it('alarms on the same EMF metrics and thresholds as the Lambda tier', () => {
    // GIVEN
    const f = teamFixture();
    const { latencyP99Ms } = f.config.alarms;
    // WHEN
    const tier = eksInference(f);
    // THEN
    Template.fromStack(f.stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'fraud-card-fraud-latency-p99-critical',
      Threshold: latencyP99Ms.critical,
    });
    expect(tier.alarms).toHaveLength(2);
  });

  it('builds the image from lambdas/inference/Dockerfile when no image is given', () => {
    // GIVEN
    const dockerfile = join(REPO_ROOT, 'lambdas', 'inference', 'Dockerfile');
    expect(existsSync(dockerfile), `${dockerfile} (the EKS tier's container contract) is missing`).toBe(true);
    const f = teamFixture();
    // WHEN
    const tier = eksInference(f, { imageUri: undefined });
    // THEN
    const deployment = tier.manifests.find((m) => m.kind === 'Deployment') as Manifest;
    expect(f.stack.resolve(deployment.spec.template.spec.containers[0].image)).toEqual({
      'Fn::Sub': expect.stringContaining('cdk-hnb659fds-container-assets-'),
    });
  });

  it('reports every invalid prop at once', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN / THEN
    expect(() => eksInference(f, { minReplicas: 4, maxReplicas: 2, cpu: 'lots', namespace: 'ML_Ops' })).toThrow(
      /Test\/Inference: invalid props:\n.*maxReplicas must be >= minReplicas, got: minReplicas 4, maxReplicas 2\n.*namespace must be a Kubernetes name.*got: "ML_Ops"\n.*cpu must be a Kubernetes quantity such as 500m or 1Gi, got: "lots"/,
    );
  });

  it('passes the AwsSolutions and Serverless nag packs, the kubectl provider included', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    eksInference(f);
    // THEN
    expect(nagFindings(f.app).filter((finding) => !/ at Test\/(Registry|ArtifactStore)\//.test(finding))).toEqual([]);
  });
});
