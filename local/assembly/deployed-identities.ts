/**
 * What a deployment decided about a resource that its template cannot say: the number Lambda gave a published
 * version, the PhysicalResourceId and Data a custom resource answered. Ref and Fn::GetAtt read these first, and a
 * stack update carries them over to the new template for every resource it keeps.
 */
export interface AssignedIdentity {
  /** What Ref returns. */
  readonly ref: string;
  /** What Fn::GetAtt returns, by attribute name. */
  readonly attributes: Readonly<Record<string, unknown>>;
}

export class DeployedIdentities {
  private readonly records = new Map<string, AssignedIdentity>();

  get(stackName: string, logicalId: string): AssignedIdentity | undefined {
    return this.records.get(key(stackName, logicalId));
  }

  set(stackName: string, logicalId: string, identity: AssignedIdentity): void {
    this.records.set(key(stackName, logicalId), identity);
  }

  delete(stackName: string, logicalId: string): void {
    this.records.delete(key(stackName, logicalId));
  }
}

const key = (stackName: string, logicalId: string) => `${stackName}/${logicalId}`;
