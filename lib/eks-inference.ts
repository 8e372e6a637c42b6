import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KubectlV34Layer } from '@aws-cdk/lambda-layer-kubectl-v34';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { Construct, IConstruct } from 'constructs';
import {
  DEFAULT_ERROR_RATE_PERCENT,
  DEFAULT_LATENCY_P99_MS,
  InferenceTierBase,
  InferenceTierProps,
  grantServing,
  inferenceTierPropProblems,
  servingEnvironment,
} from './inference-tier';
import { alarmNamingOf } from './monitoring/alarms';
import { CaptureStream } from './monitoring/capture-stream';
import { InferenceMonitoring } from './monitoring/inference-monitoring';
import { rangeProblem, throwOnPropProblems } from './private/prop-problems';
import { builtInImageContext } from './private/pipeline-image';
import { acknowledge } from './private/nag';

/** Props of {@link EksInference}: the shared tier props plus the cluster and the workload's size. */
export interface EksInferenceProps extends InferenceTierProps {
  /** Name of the existing EKS cluster. */
  readonly clusterName: string;
  /** IAM role mapped to cluster-admin (`system:masters`) that CloudFormation uses to apply the manifests. */
  readonly kubectlRoleArn: string;
  /** Kubernetes namespace of the workload; created if missing, kept when the stack is deleted (others may share it). */
  readonly namespace: string;
  /** Fewest pods the autoscaler keeps (also the initial replica count). */
  readonly minReplicas: number;
  /** Most pods the autoscaler runs. */
  readonly maxReplicas: number;
  /** CPU request of a pod, a Kubernetes quantity such as `500m`. */
  readonly cpu: string;
  /** Memory request and limit of a pod, a Kubernetes quantity such as `1Gi`. */
  readonly memory: string;
  /**
   * Registry version the pods serve (MODEL_VERSION). The deployment flow shifts Lambda aliases only; on EKS a new
   * version rolls out by changing this value and deploying the stack (a rolling update gated by the readiness probe).
   * @default - none: the pods run but answer 503 until a version is set
   */
  readonly modelVersion?: number;
  /**
   * URI of a prebuilt inference server image (e.g. from a release pipeline).
   * @default - built from lambdas/inference/Dockerfile with the repository root as context, pushed by `cdk deploy`
   */
  readonly imageUri?: string;
  /**
   * Target average CPU utilisation (percent of the request) the autoscaler scales to.
   * @default 70
   */
  readonly targetCpuUtilizationPercent?: number;
}

/** Port the inference server listens on, and its endpoints (lambdas/inference, container contract). */
export const INFERENCE_CONTAINER = {
  /** The container port of the server (and the Service's target port). */
  port: 8080,
  /** The prediction endpoint (POST). */
  invocations: '/invocations',
  /** Readiness probe: answers once a model is loaded, so a rolling update waits for it. */
  readiness: '/ping',
  /** Liveness probe: answers while the process does, model loaded or not, so a slow load never restarts a pod. */
  liveness: '/healthz',
} as const;

/** User and group the container runs as; the image must not need root. */
const RUN_AS = 1000;
/** The serving image's Dockerfile, relative to its build context (the same inference code as the Lambda tier). */
const INFERENCE_DOCKERFILE = 'lambdas/inference/Dockerfile';

/** Everything the Kubernetes objects of the tier are rendered from; plain values (or CDK tokens), no constructs. */
export interface InferenceManifestSpec {
  /** The served model; names the objects (`<model>-inference`) and labels them (`mlops/model`). */
  readonly modelName: string;
  /** Kubernetes namespace of every object. */
  readonly namespace: string;
  /** The inference server image URI. */
  readonly image: string;
  /** The ServiceAccount the pods run as (bound to the serving role by Pod Identity). */
  readonly serviceAccountName: string;
  /** Fewest pods (the Deployment's initial replicas and the autoscaler's minimum). */
  readonly minReplicas: number;
  /** Most pods the autoscaler runs. */
  readonly maxReplicas: number;
  /** CPU request of a pod, a Kubernetes quantity such as `500m`. */
  readonly cpu: string;
  /** Memory request and limit of a pod, a Kubernetes quantity such as `1Gi`. */
  readonly memory: string;
  /** Average CPU utilisation (percent of the request) the autoscaler scales to. */
  readonly targetCpuUtilizationPercent: number;
  /** The serving code's environment variables (contracts/function-environment.ts). */
  readonly environment: Record<string, string>;
}

/** Name of the Deployment, Service, autoscaler and disruption budget of a model. */
export const inferenceWorkloadName = (model: string) => `${model}-inference`;

/**
 * The Kubernetes objects of the EKS tier: a ServiceAccount (bound to the serving role by an EKS Pod Identity
 * association), a Deployment that runs non-root on a read-only root filesystem with readiness (`/ping`) and liveness
 * (`/healthz`) probes, a ClusterIP Service, a CPU HorizontalPodAutoscaler and a PodDisruptionBudget.
 */
export function inferenceManifests(spec: InferenceManifestSpec): Record<string, unknown>[] {
  const name = inferenceWorkloadName(spec.modelName);
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'mlops', 'mlops/model': spec.modelName };
  const metadata = { name, namespace: spec.namespace, labels };
  const selector = { matchLabels: { 'app.kubernetes.io/name': name } };
  const probe = (path: string, initialDelaySeconds: number, periodSeconds: number) => ({
    httpGet: { path, port: 'http' },
    initialDelaySeconds,
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: spec.serviceAccountName, namespace: spec.namespace, labels },
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata,
      spec: {
        replicas: spec.minReplicas,
        selector,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: spec.serviceAccountName,
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: RUN_AS,
              runAsGroup: RUN_AS,
              fsGroup: RUN_AS,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'topology.kubernetes.io/zone',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: selector,
              },
            ],
            containers: [
              {
                name: 'inference',
                image: spec.image,
                ports: [{ name: 'http', containerPort: INFERENCE_CONTAINER.port, protocol: 'TCP' }],
                env: Object.entries(spec.environment).map(([key, value]) => ({ name: key, value })),
                resources: {
                  requests: { cpu: spec.cpu, memory: spec.memory },
                  limits: { memory: spec.memory },
                },
                readinessProbe: probe(INFERENCE_CONTAINER.readiness, 5, 10),
                livenessProbe: probe(INFERENCE_CONTAINER.liveness, 15, 20),
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                // The model archive is unpacked to /tmp: the only writable path.
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata,
      spec: {
        type: 'ClusterIP',
        selector: selector.matchLabels,
        ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata,
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: spec.minReplicas,
        maxReplicas: spec.maxReplicas,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCpuUtilizationPercent } },
          },
        ],
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata,
      // One pod at a time may be evicted (node drains), whatever the replica count: never all of them, never stuck.
      spec: { maxUnavailable: 1, selector },
    },
  ];
}

/**
 * The EKS inference tier: the inference server image (lambdas/inference/Dockerfile) as a Deployment on an existing
 * cluster, with autoscaling, a disruption budget, a capture stream, and the same p99 latency / error-rate alarms as
 * the Lambda tier (from the same EMF metrics, which reach CloudWatch when the cluster ships container logs with the
 * EMF format, e.g. Container Insights or Fluent Bit `log_format json/emf`).
 *
 * The pods get AWS credentials through EKS Pod Identity (the cluster needs the `eks-pod-identity-agent` add-on): the
 * team config names no OIDC provider, which IRSA would need. The role has the Lambda tier's grants exactly.
 * Manifests are applied by CDK's kubectl provider with `kubectlRoleArn`; the cluster endpoint must be reachable from
 * it (public endpoint).
 */
export class EksInference extends InferenceTierBase {
  readonly modelName: string;
  /** The existing cluster the workload runs on, imported with the kubectl role and layer to apply manifests. */
  readonly cluster: eks.ICluster;
  /** The role the pods assume (Pod Identity). */
  readonly role: iam.Role;
  readonly captureStream: CaptureStream;
  /** The Kubernetes objects applied to the cluster (see `inferenceManifests`). */
  readonly manifests: Record<string, unknown>[];
  /** In-cluster address of the tier: `http://<model>-inference.<namespace>.svc.cluster.local/invocations`. */
  readonly serviceUrl: string;
  protected readonly monitoring: InferenceMonitoring;

  constructor(scope: Construct, id: string, props: EksInferenceProps) {
    super(scope, id);
    throwOnPropProblems(this, [
      ...inferenceTierPropProblems(props),
      ...rangeProblem('minReplicas', props.minReplicas, { min: 1, max: 1000, integer: true }),
      ...rangeProblem('maxReplicas', props.maxReplicas, { min: 1, max: 1000, integer: true }),
      ...(props.maxReplicas < props.minReplicas
        ? [`maxReplicas must be >= minReplicas, got: minReplicas ${props.minReplicas}, maxReplicas ${props.maxReplicas}`]
        : []),
      ...rangeProblem('targetCpuUtilizationPercent', props.targetCpuUtilizationPercent, { min: 1, max: 100, integer: true }),
      ...rangeProblem('modelVersion', props.modelVersion, { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true }),
      ...(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(props.namespace)
        ? []
        : [`namespace must be a Kubernetes name (lowercase letters, digits, '-'), got: "${props.namespace}"`]),
      ...quantityProblem('cpu', props.cpu),
      ...quantityProblem('memory', props.memory),
    ]);
    this.modelName = props.modelName;
    const serviceAccountName = inferenceWorkloadName(props.modelName);

    this.cluster = eks.Cluster.fromClusterAttributes(this, 'Cluster', {
      clusterName: props.clusterName,
      kubectlRoleArn: props.kubectlRoleArn,
      kubectlLayer: kubectlLayer(this),
    });

    this.captureStream = new CaptureStream(this, 'Capture', {
      modelName: props.modelName,
      artifactStore: props.artifactStore,
    });

    this.role = new iam.Role(this, 'ServingRole', {
      assumedBy: new iam.SessionTagsPrincipal(new iam.ServicePrincipal('pods.eks.amazonaws.com')),
      description: `Pods serving model ${props.modelName} on EKS cluster ${props.clusterName}`,
    });
    grantServing(this.role, { modelName: props.modelName, registry: props.registry, artifactStore: props.artifactStore, captureStream: this.captureStream });
    new eks.CfnPodIdentityAssociation(this, 'PodIdentity', {
      clusterName: props.clusterName,
      namespace: props.namespace,
      serviceAccount: serviceAccountName,
      roleArn: this.role.roleArn,
    });

    const imageUri =
      props.imageUri ??
      new ecrAssets.DockerImageAsset(this, 'Image', {
        directory: builtInImageContext(INFERENCE_DOCKERFILE),
        file: INFERENCE_DOCKERFILE,
        platform: ecrAssets.Platform.LINUX_AMD64,
      }).imageUri;

    this.manifests = inferenceManifests({
      modelName: props.modelName,
      namespace: props.namespace,
      image: imageUri,
      serviceAccountName,
      minReplicas: props.minReplicas,
      maxReplicas: props.maxReplicas,
      cpu: props.cpu,
      memory: props.memory,
      targetCpuUtilizationPercent: props.targetCpuUtilizationPercent ?? 70,
      environment: {
        ...servingEnvironment(props, this.captureStream),
        MODEL_VERSION: props.modelVersion === undefined ? '' : String(props.modelVersion),
        AWS_REGION: Stack.of(this).region,
        PORT: String(INFERENCE_CONTAINER.port),
        POWERTOOLS_SERVICE_NAME: 'inference',
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
      },
    });
    // The namespace may be shared with other workloads: created if missing, never deleted with this stack.
    const namespace = new eks.KubernetesManifest(this, 'Namespace', {
      cluster: this.cluster,
      manifest: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: props.namespace } }],
      overwrite: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const workload = new eks.KubernetesManifest(this, 'Workload', { cluster: this.cluster, manifest: this.manifests });
    workload.node.addDependency(namespace);
    this.serviceUrl = `http://${inferenceWorkloadName(props.modelName)}.${props.namespace}.svc.cluster.local${INFERENCE_CONTAINER.invocations}`;

    this.monitoring = new InferenceMonitoring(this, 'Monitoring', {
      modelName: props.modelName,
      metricsNamespace: props.metricsNamespace,
      naming: alarmNamingOf(props),
      latencyP99Ms: props.latencyP99Ms ?? DEFAULT_LATENCY_P99_MS,
      errorRatePercent: props.errorRatePercent ?? DEFAULT_ERROR_RATE_PERCENT,
      actions: props.alarmActions,
    });
    acknowledgeKubectlProvider(eks.KubectlProvider.getOrCreate(this, this.cluster));
  }
}

/** A Kubernetes resource quantity (`500m`, `1`, `1Gi`, `512Mi`). */
function quantityProblem(prop: string, value: string): string[] {
  return /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.test(value)
    ? []
    : [`${prop} must be a Kubernetes quantity such as 500m or 1Gi, got: "${value}"`];
}

/** One kubectl layer per stack, shared by every construct that applies manifests. */
function kubectlLayer(scope: Construct): lambda.ILayerVersion {
  const stack = Stack.of(scope);
  const id = 'KubectlV34Layer';
  return (stack.node.tryFindChild(id) as lambda.ILayerVersion | undefined) ?? new KubectlV34Layer(stack, id);
}

/**
 * The kubectl provider is aws-cdk-lib's own nested stack (a kubectl handler and a custom-resource framework function):
 * its roles, runtime and settings are fixed by aws-cdk-lib, so its findings are acknowledged here, each with why.
 * cdk-nag names IAM4/IAM5 findings by the flattened policy ARN or resource, so those ids are read from the provider's
 * own roles and policies rather than written out.
 */
function acknowledgeKubectlProvider(provider: IConstruct): void {
  const stack = Stack.of(provider);
  for (const child of provider.node.findAll()) {
    if (child instanceof iam.CfnRole) {
      const managed = (stack.resolve(child.managedPolicyArns) ?? []) as unknown[];
      for (const arn of managed) {
        acknowledge(
          provider,
          `AwsSolutions-IAM4[Policy::${flattenCfnReference(arn)}]`,
          "aws-cdk-lib's KubectlProvider attaches AWSLambdaBasicExecutionRole and the ECR read-only policies to its own roles; it offers no way to replace them for an imported cluster.",
        );
      }
    }
    if (child instanceof iam.CfnPolicy) {
      const document = stack.resolve(child.policyDocument) as { Statement: Array<{ Resource?: unknown }> };
      for (const statement of document.Statement) {
        const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
        for (const resource of resources.map((r) => flattenCfnReference(r)).filter((r) => r.includes('*'))) {
          acknowledge(
            provider,
            `AwsSolutions-IAM5[Resource::${resource}]`,
            "aws-cdk-lib's custom-resource framework may invoke every version of the kubectl handler (<Handler.Arn>:*).",
          );
        }
      }
    }
  }
  const pinned =
    'The kubectl handler runtime is pinned by aws-cdk-lib to the one its kubectl/helm layer is built for; it moves with aws-cdk-lib upgrades.';
  acknowledge(provider, 'AwsSolutions-L1', pinned);
  acknowledge(provider, 'Serverless-LambdaLatestVersion', pinned);
  acknowledge(
    provider,
    'Serverless-LambdaDLQ',
    'Custom-resource functions run synchronously for CloudFormation: a failure fails the stack operation and is reported there; there is no event to keep.',
  );
  acknowledge(
    provider,
    'Serverless-LambdaTracing',
    'Deployment-time custom-resource functions of aws-cdk-lib: they run only during cdk deploy and report to CloudFormation.',
  );
  acknowledge(
    provider,
    'Serverless-LambdaDefaultMemorySize',
    "The provider framework's onEvent function only relays CloudFormation events to the kubectl handler; aws-cdk-lib sizes it.",
  );
}
