import type { CfnResource, StackArtifact } from './cloud-assembly';
import type { DeployedIdentities } from './deployed-identities';
import { attributeOf, type Environment, type ResourceFacts, refOf } from './resource-identity';

/**
 * Resolves CloudFormation intrinsics in one stack's template: Ref (resources, parameters, pseudo parameters),
 * Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::If / conditions, Fn::FindInMap, Fn::ImportValue,
 * Fn::GetAZs, Fn::Base64, Fn::ToJsonString, AWS::NoValue. Resources are resolved lazily, so a physical name that is
 * itself built from intrinsics is resolved when first referenced.
 */

/** Marks a value removed by `Ref: AWS::NoValue`; stripped from the object or array that holds it. */
const NO_VALUE = Symbol('AWS::NoValue');

export class IntrinsicError extends Error {
  constructor(stackName: string, message: string) {
    super(`${stackName}: ${message}`);
    this.name = 'IntrinsicError';
  }
}

export type ImportLookup = (exportName: string) => unknown;

export class StackResolver {
  private readonly propertyCache = new Map<string, Record<string, unknown>>();
  private readonly conditionCache = new Map<string, boolean>();

  constructor(
    readonly stack: StackArtifact,
    readonly env: Environment,
    private readonly importValue: ImportLookup = (name) => {
      throw new IntrinsicError(stack.stackName, `Fn::ImportValue "${name}": no stack exports it`);
    },
    /** Identities a deployment assigned (published versions, custom resources); read before the template's. */
    private readonly identities?: DeployedIdentities,
  ) {}

  get stackName(): string {
    return this.stack.stackName;
  }

  /** Logical ids of the resources of a type that exist (their Condition, if any, holds), in template order. */
  resourcesOfType(type: string): string[] {
    return Object.entries(this.stack.template.Resources)
      .filter(([id, r]) => r.Type === type && this.exists(id))
      .map(([id]) => id);
  }

  resource(logicalId: string): CfnResource {
    const resource = this.stack.template.Resources[logicalId];
    if (!resource) throw new IntrinsicError(this.stackName, `no resource "${logicalId}"`);
    return resource;
  }

  exists(logicalId: string): boolean {
    const condition = this.resource(logicalId).Condition;
    return condition === undefined || this.condition(condition);
  }

  /** The resource's Properties with every intrinsic resolved. */
  properties(logicalId: string): Record<string, unknown> {
    let resolved = this.propertyCache.get(logicalId);
    if (!resolved) {
      resolved = (this.resolve(this.resource(logicalId).Properties ?? {}) as Record<string, unknown>) ?? {};
      this.propertyCache.set(logicalId, resolved);
    }
    return resolved;
  }

  ref(logicalId: string): string {
    return this.identities?.get(this.stackName, logicalId)?.ref ?? refOf(this.facts(logicalId), this.env);
  }

  getAtt(logicalId: string, attribute: string): unknown {
    const assigned = this.identities?.get(this.stackName, logicalId);
    if (assigned) {
      if (attribute in assigned.attributes) return assigned.attributes[attribute];
      // CloudFormation's own words when a custom resource's Data lacks the attribute.
      if (isCustomResource(this.resource(logicalId).Type)) throw new IntrinsicError(this.stackName, `Fn::GetAtt ${logicalId}.${attribute}: Vendor response doesn't contain ${attribute} key in object`);
    }
    return attributeOf(this.facts(logicalId), attribute, this.env);
  }

  /** Resolved CfnOutputs (values as strings, as CloudFormation reports them). */
  outputs(): Record<string, string> {
    const outputs: Record<string, string> = {};
    for (const [name, output] of Object.entries(this.stack.template.Outputs ?? {})) {
      if (output.Condition && !this.condition(output.Condition)) continue;
      outputs[name] = stringify(this.resolve(output.Value));
    }
    return outputs;
  }

  /** Export name -> value of this stack's outputs that export. */
  exports(): Record<string, string> {
    const exports: Record<string, string> = {};
    for (const output of Object.values(this.stack.template.Outputs ?? {})) {
      if (!output.Export || (output.Condition && !this.condition(output.Condition))) continue;
      exports[stringify(this.resolve(output.Export.Name))] = stringify(this.resolve(output.Value));
    }
    return exports;
  }

  condition(name: string): boolean {
    const cached = this.conditionCache.get(name);
    if (cached !== undefined) return cached;
    const expression = this.stack.template.Conditions?.[name];
    if (expression === undefined) throw new IntrinsicError(this.stackName, `no condition "${name}"`);
    const value = Boolean(this.resolve(expression));
    this.conditionCache.set(name, value);
    return value;
  }

  resolve(value: unknown): unknown {
    const resolved = this.resolveValue(value);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  private resolveValue(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolveValue(v)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [key, arg] = entries[0];
      if (key === 'Ref' || key === 'Condition' || key.startsWith('Fn::')) return this.intrinsic(key, arg);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const resolved = this.resolveValue(v);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  private intrinsic(name: string, arg: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.refName(String(arg));
      case 'Condition':
        return this.condition(String(arg));
      case 'Fn::GetAtt': {
        const [id, ...attr] = Array.isArray(arg) ? arg.map((a) => String(this.resolveValue(a))) : String(arg).split('.');
        return this.getAtt(id, attr.join('.'));
      }
      case 'Fn::Join': {
        const [separator, parts] = this.args(name, arg, 2);
        return (this.resolveValue(parts) as unknown[]).map(stringify).join(String(separator));
      }
      case 'Fn::Sub':
        return this.sub(arg);
      case 'Fn::Select': {
        const [index, list] = this.args(name, arg, 2);
        const items = this.resolveValue(list) as unknown[];
        return items[Number(this.resolveValue(index))];
      }
      case 'Fn::Split': {
        const [separator, source] = this.args(name, arg, 2);
        return stringify(this.resolveValue(source)).split(String(separator));
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = this.args(name, arg, 3);
        return this.resolveValue(this.condition(String(condition)) ? whenTrue : whenFalse);
      }
      case 'Fn::Equals': {
        const [a, b] = this.args(name, arg, 2);
        return JSON.stringify(this.resolveValue(a)) === JSON.stringify(this.resolveValue(b));
      }
      case 'Fn::And':
        return (arg as unknown[]).every((c) => Boolean(this.resolveValue(c)));
      case 'Fn::Or':
        return (arg as unknown[]).some((c) => Boolean(this.resolveValue(c)));
      case 'Fn::Not':
        return !this.resolveValue((arg as unknown[])[0]);
      case 'Fn::Contains': {
        const [list, item] = this.args(name, arg, 2);
        return (this.resolveValue(list) as unknown[]).includes(this.resolveValue(item));
      }
      case 'Fn::FindInMap': {
        const [map, top, second] = (arg as unknown[]).map((a) => String(this.resolveValue(a)));
        const found = this.stack.template.Mappings?.[map]?.[top]?.[second];
        if (found === undefined) throw new IntrinsicError(this.stackName, `Fn::FindInMap ${map}.${top}.${second} is not in the template`);
        return found;
      }
      case 'Fn::ImportValue':
        return this.importValue(stringify(this.resolveValue(arg)));
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((zone) => `${this.env.region}${zone}`);
      case 'Fn::Base64':
        return Buffer.from(stringify(this.resolveValue(arg))).toString('base64');
      case 'Fn::ToJsonString':
        return JSON.stringify(this.resolveValue(arg));
      case 'Fn::Length':
        return (this.resolveValue(arg) as unknown[]).length;
      default:
        throw new IntrinsicError(this.stackName, `the twin does not resolve ${name}`);
    }
  }

  private args(name: string, arg: unknown, count: number): unknown[] {
    if (!Array.isArray(arg) || arg.length !== count) {
      throw new IntrinsicError(this.stackName, `${name} expects ${count} arguments, got ${JSON.stringify(arg)}`);
    }
    return arg;
  }

  private refName(name: string): unknown {
    switch (name) {
      case 'AWS::Region':
        return this.env.region;
      case 'AWS::AccountId':
        return this.env.accountId;
      case 'AWS::Partition':
        return this.env.partition;
      case 'AWS::URLSuffix':
        return this.env.urlSuffix;
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return `arn:${this.env.partition}:cloudformation:${this.env.region}:${this.env.accountId}:stack/${this.stackName}/${this.stackName}`;
      case 'AWS::NotificationARNs':
        return [];
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const parameter = this.stack.template.Parameters?.[name];
    if (parameter) return parameter.Default;
    return this.ref(name);
  }

  private sub(arg: unknown): string {
    const [template, variables] = Array.isArray(arg) ? arg : [arg, {}];
    const vars = this.resolveValue(variables) as Record<string, unknown>;
    return String(template).replace(/\$\{([^}]+)\}/g, (_match, expression: string) => {
      if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
      if (expression in vars) return stringify(vars[expression]);
      const dot = expression.indexOf('.');
      if (dot > 0 && !expression.startsWith('AWS::')) {
        return stringify(this.getAtt(expression.slice(0, dot), expression.slice(dot + 1)));
      }
      return stringify(this.refName(expression));
    });
  }

  private facts(logicalId: string): ResourceFacts {
    const resource = this.resource(logicalId);
    return {
      stackName: this.stackName,
      logicalId,
      type: resource.Type,
      property: (name) => this.resolve(resource.Properties?.[name]),
      versionNumber: () => this.versionNumber(logicalId),
    };
  }

  /** CloudFormation publishes each AWS::Lambda::Version once; the twin numbers them per function in template order. */
  private versionNumber(logicalId: string): number {
    const functionOf = (id: string) => JSON.stringify(this.resource(id).Properties?.FunctionName);
    const target = functionOf(logicalId);
    const siblings = this.resourcesOfType('AWS::Lambda::Version').filter((id) => functionOf(id) === target);
    return siblings.indexOf(logicalId) + 1;
  }
}

/** AWS::CloudFormation::CustomResource or Custom::<anything>: a resource a Lambda function creates. */
export function isCustomResource(type: string): boolean {
  return type === 'AWS::CloudFormation::CustomResource' || type.startsWith('Custom::');
}

/** CloudFormation's string form of a resolved value (numbers and booleans as text, lists comma-joined). */
export function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(stringify).join(',');
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
