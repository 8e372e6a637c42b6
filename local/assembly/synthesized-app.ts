import { CloudAssembly } from './cloud-assembly';
import { DeployedIdentities } from './deployed-identities';
import { StackResolver } from './intrinsics';
import type { Environment } from './resource-identity';

/** A resource of some type in some stack, with the stack's resolver to read it. */
export interface ResourceRef {
  readonly stack: StackResolver;
  readonly logicalId: string;
}

/**
 * The whole cloud assembly as if deployed to one account and region: a resolver per stack, in deployment order,
 * with Fn::ImportValue answered from the exports of the stacks deployed before.
 */
export class SynthesizedApp {
  readonly stacks: StackResolver[] = [];

  constructor(
    readonly assembly: CloudAssembly,
    readonly env: Environment,
    /** What the deployment assigned (version numbers, custom resources' physical ids); a stack update passes the kept ones on. */
    readonly identities = new DeployedIdentities(),
  ) {
    for (const artifact of assembly.stacks) {
      const earlier = [...this.stacks];
      this.stacks.push(
        new StackResolver(artifact, env, (name) => {
          for (const stack of earlier) {
            const exported = stack.exports()[name];
            if (exported !== undefined) return exported;
          }
          throw new Error(`${artifact.stackName}: Fn::ImportValue "${name}": no earlier stack exports it`);
        }, identities),
      );
    }
  }

  /** Every existing resource of a CloudFormation type, across stacks. */
  resourcesOfType(type: string): ResourceRef[] {
    return this.stacks.flatMap((stack) => stack.resourcesOfType(type).map((logicalId) => ({ stack, logicalId })));
  }

  stack(stackName: string): StackResolver | undefined {
    return this.stacks.find((s) => s.stackName === stackName);
  }

  /** Resolved outputs of every stack, keyed by stack name. */
  outputs(): Record<string, Record<string, string>> {
    return Object.fromEntries(this.stacks.map((s) => [s.stackName, localizeUrls(s.outputs(), this.env)]));
  }
}

/**
 * The twin's "DNS": URLs that CDK builds from an API id or function URL id and the region (e.g. HttpApi.url is
 * `https://<apiId>.execute-api.<region>.<suffix>/`) are pointed at the twin's server, where those resources are served.
 * A CloudFront distribution's URL is the twin's own root, where the twin serves the console.
 */
export function localizeUrls<T>(value: T, env: Environment): T {
  if (typeof value === 'string') {
    return value
      .replace(/https:\/\/([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.[a-z.]+\/?/g, `${env.twinUrl}/api/$1/`)
      .replace(/https:\/\/([a-z0-9]+)\.lambda-url\.[a-z0-9-]+\.on\.aws\/?/g, `${env.twinUrl}/lambda-url/$1/`)
      .replace(/https:\/\/[a-z0-9]+\.cloudfront\.net\/?/g, `${env.twinUrl}/`) as T;
  }
  if (Array.isArray(value)) return value.map((v) => localizeUrls(v, env)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, localizeUrls(v, env)])) as T;
  }
  return value;
}
