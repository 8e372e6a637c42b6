/* eslint-disable @typescript-eslint/no-explicit-any -- ASL is untyped JSON here */
import type { Template } from 'aws-cdk-lib/assertions';

const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** Resolves a DefinitionString (Fn::Join of strings and intrinsics) with placeholder ARNs. */
export function definitionOf(resource: { Properties: { DefinitionString: unknown } }): any {
  const render = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const v = value as Record<string, unknown>;
    if (v['Fn::Join']) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(sep);
    }
    if (typeof v.Ref === 'string' && v.Ref in PSEUDO_PARAMETERS) return PSEUDO_PARAMETERS[v.Ref];
    if (v.Ref) return `arn:aws:lambda:eu-west-1:123456789012:function:${String(v.Ref)}`;
    if (v['Fn::GetAtt']) return `arn:aws:lambda:eu-west-1:123456789012:function:${(v['Fn::GetAtt'] as string[])[0]}`;
    if (v['Fn::Sub']) return String(v['Fn::Sub']).replace(/\$\{[^}]+\}/g, 'x');
    throw new Error(`unexpected intrinsic in a definition: ${JSON.stringify(value)}`);
  };
  return JSON.parse(render(resource.Properties.DefinitionString));
}


/** The rendered definition of the one state machine whose logical id starts with `prefix`. */
export function stateMachineDefinition(template: Template, prefix: string): any {
  const matches = Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).filter(([id]) => id.startsWith(prefix));
  if (matches.length !== 1) throw new Error(`expected one state machine starting with ${prefix}, found ${matches.length}`);
  return definitionOf(matches[0][1] as never);
}
