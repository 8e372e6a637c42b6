import type { CfnTemplate } from './cloud-assembly';

/**
 * The order CloudFormation creates a template's resources in: a resource waits for every resource it names in
 * DependsOn, Ref, Fn::GetAtt or a `${...}` of Fn::Sub. Deletion runs the other way round.
 */

/** Logical ids of the template's resources that `logicalId` depends on directly. */
export function resourceDependencies(template: CfnTemplate, logicalId: string): string[] {
  const resource = template.Resources[logicalId];
  const found = new Set<string>();
  const dependsOn = (resource as { DependsOn?: unknown }).DependsOn;
  for (const id of Array.isArray(dependsOn) ? dependsOn : dependsOn === undefined ? [] : [dependsOn]) found.add(String(id));
  collectReferences(resource.Properties, found);
  return [...found].filter((id) => id !== logicalId && id in template.Resources);
}

/** `ids` in an order where each comes after everything it depends on, directly or through other resources. */
export function creationOrder(template: CfnTemplate, ids: readonly string[]): string[] {
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (id: string) => {
    if (ordered.includes(id)) return;
    if (visiting.has(id)) throw new Error(`circular dependency between resources: ${[...visiting, id].join(' -> ')}`);
    visiting.add(id);
    for (const dependency of resourceDependencies(template, id)) visit(dependency);
    visiting.delete(id);
    ordered.push(id);
  };
  for (const id of ids) visit(id);
  return ordered.filter((id) => ids.includes(id));
}

function collectReferences(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectReferences(item, into);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, arg] of Object.entries(value)) {
    if (key === 'Ref' && typeof arg === 'string') into.add(arg);
    else if (key === 'Fn::GetAtt') into.add(Array.isArray(arg) ? String(arg[0]) : String(arg).split('.')[0]);
    else if (key === 'Fn::Sub') {
      const text = Array.isArray(arg) ? arg[0] : arg;
      for (const [, expression] of String(text).matchAll(/\$\{([^}!][^}]*)\}/g)) into.add(expression.split('.')[0]);
      if (Array.isArray(arg)) collectReferences(arg[1], into);
    } else collectReferences(arg, into);
  }
}
