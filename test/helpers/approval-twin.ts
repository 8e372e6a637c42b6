import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { S3Client } from '@aws-sdk/client-s3';
import { run as login } from '../../bin/commands/login';
import type { AccessPolicy } from '../../contracts/access-policy';
import { DynamoRegistryStore, registryDocumentClient } from '../../lambdas/registry/dynamodb-store';
import { ModelRegistry as RegistryCore } from '../../lambdas/registry/registry';
import { ApprovalApi } from '../../lib/approval-api';
import { ArtifactStore } from '../../lib/artifact-store';
import { ModelRegistry } from '../../lib/model-registry';
import { LOCAL_CREDENTIALS } from '../../local/services/aws-environment';
import { Twin } from '../../local/twin';
import { projectContext } from './project-context';

export interface ApprovalTwin {
  readonly twin: Twin;
  /** The twin's state file, for the CLI's `--twin`. */
  readonly stateFile: string;
  readonly registry: RegistryCore;
  readonly documents: ReturnType<typeof registryDocumentClient>;
  readonly tableName: string;
  readonly s3: S3Client;
  readonly bucket: string;
  /** `mlops login --user <user>` on this twin (throws when refused). */
  signIn(user: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The registry's doors without the rest of a team stack: an artifact store, the model registry and the approval API
 * (the real constructs, their bundled functions, the Cognito pool and its groups) synthesized into a small stack and
 * run by the twin, with the outputs the CLI reads. `modelName` set: the API serves that model only, as a team stack's
 * does; unset: every model of the registry (a shared registry). Seconds to synthesize, where a team stack takes half a
 * minute.
 */
export async function startApprovalTwin(options: { modelName?: string; access?: AccessPolicy } = {}): Promise<ApprovalTwin> {
  const scratch = mkdtempSync(join(tmpdir(), 'approval-twin-'));
  const cdkOut = join(scratch, 'cdk.out');
  const app = new App({ outdir: cdkOut, context: projectContext() });
  const stack = new Stack(app, 'Mlops-registry');
  const store = new ArtifactStore(stack, 'ArtifactStore', { modelName: options.modelName });
  const registry = new ModelRegistry(stack, 'Registry', { metricsNamespace: 'MLOps/test' });
  const { access } = options;
  const api = new ApprovalApi(stack, 'ApprovalApi', {
    registry,
    metricsNamespace: 'MLOps/test',
    modelName: options.modelName,
    ...(access && {
      approverGroup: access.groups.approver,
      operatorGroup: access.groups.operator,
      developerGroup: access.groups.developer,
      rolesClaim: access.rolesClaim,
      allowSelfApproval: access.allowSelfApproval,
      automationRoles: access.automationRoles,
    }),
  });
  const output = (id: string, value: string) => new CfnOutput(stack, id, { value });
  output('RegistryTableName', registry.table.tableName);
  output('ArtifactBucketName', store.bucket.bucketName);
  output('ApprovalApiUrl', api.url);
  output('UserPoolClientId', api.userPoolClient!.userPoolClientId);
  if (options.modelName) output('ModelName', options.modelName);
  app.synth();

  const stateFile = join(scratch, 'twin.json');
  const twin = await Twin.start({ cdkOut, dataDirectory: join(scratch, 'data'), timeScale: 1, stateFile });
  const documents = registryDocumentClient(twin.dynamodb.client(twin.app.env.region));
  const tableName = twin.output('RegistryTableName');
  const s3 = new S3Client({
    region: twin.app.env.region,
    endpoint: twin.endpoints.s3,
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    twin,
    stateFile,
    registry: new RegistryCore(new DynamoRegistryStore(documents, tableName)),
    documents,
    tableName,
    s3,
    bucket: twin.output('ArtifactBucketName'),
    signIn: async (user) => {
      const out: string[] = [];
      const code = await login(['--user', user, '--twin', stateFile], { stdout: (s) => out.push(s), stderr: (s) => out.push(s) });
      if (code !== 0) throw new Error(`mlops login --user ${user}: ${out.join(' ')}`);
    },
    stop: async () => {
      s3.destroy();
      await twin.stop();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
