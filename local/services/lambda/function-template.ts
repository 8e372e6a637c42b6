import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify, type StackResolver } from '../../assembly/intrinsics';
import { localizeUrls, type SynthesizedApp } from '../../assembly/synthesized-app';
import type { FunctionConfiguration } from './lambda-service';

/** What the templates say about functions, layers and aliases, read the same way at start and on a stack update. */

/** Layer version ARN -> the directory in cdk.out whose `nodejs/node_modules` it contributes. */
export function layerDirectories(app: SynthesizedApp): Map<string, string> {
  const layers = new Map<string, string>();
  for (const { stack, logicalId } of app.resourcesOfType('AWS::Lambda::LayerVersion')) {
    const content = stack.properties(logicalId).Content as { S3Key?: string };
    if (content?.S3Key) layers.set(stack.ref(logicalId), app.assembly.fileAsset(content.S3Key).path);
  }
  return layers;
}

/** $LATEST of an AWS::Lambda::Function: its code directory in cdk.out (inline code written under `workDirectory`). */
export function functionFromTemplate(
  app: SynthesizedApp,
  stack: StackResolver,
  logicalId: string,
  layers: ReadonlyMap<string, string>,
  workDirectory: string,
): FunctionConfiguration {
  const props = stack.properties(logicalId);
  const name = stack.ref(logicalId);
  const code = props.Code as { S3Key?: string; ZipFile?: string; ImageUri?: string };
  const variables = ((props.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {}) as Record<string, unknown>;
  return {
    name,
    version: '$LATEST',
    handler: String(props.Handler ?? 'index.handler'),
    runtime: String(props.Runtime ?? 'nodejs24.x'),
    role: stringify(props.Role),
    description: stringify(props.Description),
    codeDirectory: codeDirectory(app, name, code, workDirectory),
    codeSha256: createHash('sha256').update(JSON.stringify(code)).digest('base64'),
    timeoutSeconds: Number(props.Timeout ?? 3),
    memorySize: Number(props.MemorySize ?? 128),
    environment: localizeUrls(Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, stringify(v)])), app.env),
    layers: ((props.Layers as string[] | undefined) ?? []).map((arn) => {
      const directory = layers.get(arn);
      if (!directory) throw new Error(`function ${name}: layer ${arn} is not a layer asset of this app`);
      return { arn, directory };
    }),
    lastModified: new Date().toISOString(),
    revisionId: randomUUID(),
    deadLetterTargetArn: (props.DeadLetterConfig as { TargetArn?: string } | undefined)?.TargetArn,
  };
}

/** An AWS::Lambda::Alias as its template sets it: exactly what CloudFormation applies on create and on every update. */
export function aliasFromTemplate(props: Record<string, unknown>) {
  const routing = props.RoutingConfig as { AdditionalVersionWeights?: Array<{ FunctionVersion: string; FunctionWeight: number }> } | undefined;
  return {
    name: String(props.Name),
    functionVersion: String(props.FunctionVersion),
    additionalVersionWeights: Object.fromEntries(
      (routing?.AdditionalVersionWeights ?? []).map((w) => [String(w.FunctionVersion), Number(w.FunctionWeight)]),
    ),
    description: stringify(props.Description),
    provisionedConcurrency: provisionedExecutions(props),
  };
}

/** ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions of a Version or Alias, if set. */
export function provisionedExecutions(props: Record<string, unknown>): number | undefined {
  const config = props.ProvisionedConcurrencyConfig as { ProvisionedConcurrentExecutions?: unknown } | undefined;
  return config?.ProvisionedConcurrentExecutions === undefined ? undefined : Number(config.ProvisionedConcurrentExecutions);
}

function codeDirectory(app: SynthesizedApp, name: string, code: { S3Key?: string; ZipFile?: string; ImageUri?: string }, workDirectory: string): string {
  if (code.S3Key) return app.assembly.fileAsset(code.S3Key).path;
  if (code.ZipFile !== undefined) {
    // One directory per code: a running version keeps its files when an update brings new inline code.
    const directory = join(workDirectory, 'inline-code', name, createHash('sha256').update(code.ZipFile).digest('hex').slice(0, 16));
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, 'index.js'), code.ZipFile);
    return directory;
  }
  throw new Error(`function ${name}: only Zip packages (Code.S3Key or Code.ZipFile) run in the twin, got ${JSON.stringify(code)}`);
}
