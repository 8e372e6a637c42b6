import { IAspect, IResolveContext, Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/**
 * The resources of this account a service assumes a role for, where the service documents `aws:SourceArn` on
 * the role's trust (the resource it acts for). Other services get `aws:SourceAccount` alone.
 */
const SOURCE_ARN_RESOURCES: Record<string, { service: string; resource: string }> = {
  'states.amazonaws.com': { service: 'states', resource: 'stateMachine:*' },
  'events.amazonaws.com': { service: 'events', resource: 'rule/*' },
  'sagemaker.amazonaws.com': { service: 'sagemaker', resource: '*' },
  'ecs-tasks.amazonaws.com': { service: 'ecs', resource: '*' },
  'vpc-flow-logs.amazonaws.com': { service: 'ec2', resource: 'vpc-flow-log/*' },
};

interface StatementJson {
  Principal?: { Service?: string | string[] };
  Condition?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

/**
 * Conditions every role trust of a service principal on the source account (and the source ARN where the service
 * sets it), so a service acting for another account's resource (the confused deputy) cannot assume our roles.
 * It works on the rendered trust policy, so it covers the roles CDK creates for us too (a rule target's events
 * role, a state machine's role); the template tests check no service trust is left without the condition.
 */
export class ServiceTrustConditions implements IAspect {
  private readonly visited = new WeakSet<iam.CfnRole>();

  visit(node: IConstruct): void {
    if (!(node instanceof iam.CfnRole) || this.visited.has(node)) return;
    this.visited.add(node);
    const trust: unknown = node.assumeRolePolicyDocument;
    const stack = Stack.of(node);
    node.assumeRolePolicyDocument = Lazy.uncachedAny({
      produce: (context: IResolveContext) => withSourceConditions(context.resolve(trust) as { Statement?: StatementJson[] }, stack),
    });
  }
}

function withSourceConditions(document: { Statement?: StatementJson[] }, stack: Stack): unknown {
  return {
    ...document,
    Statement: (document.Statement ?? []).map((statement) => {
      const services = [statement.Principal?.Service ?? []].flat();
      if (services.length === 0) return statement;
      const condition = { ...(statement.Condition ?? {}) };
      condition.StringEquals = { 'aws:SourceAccount': stack.account, ...condition.StringEquals };
      const arn = services.length === 1 ? SOURCE_ARN_RESOURCES[services[0]] : undefined;
      if (arn && !condition.ArnLike?.['aws:SourceArn']) {
        condition.ArnLike = { ...condition.ArnLike, 'aws:SourceArn': `arn:${stack.partition}:${arn.service}:${stack.region}:${stack.account}:${arn.resource}` };
      }
      return { ...statement, Condition: condition };
    }),
  };
}
