import * as iam from 'aws-cdk-lib/aws-iam';
import { Lazy } from 'aws-cdk-lib';
import { AUDIT_PREFIX } from '../../contracts/registry-table-keys';

/** Every action that changes items of a table (PartiQL writes included: they are authorized apart from the API calls). */
const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
];

/** What changes an existing item: refused on audit rows to everyone. */
const ITEM_CHANGE_ACTIONS = ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'];

/**
 * The registry table's resource policy. It holds only denials, which apply to every principal of every account,
 * identity policies and administrators included:
 * - audit rows (partition `AUDIT#<model>`) are never updated or deleted, by anyone;
 * - nobody but the roles the registry granted a write (its own functions, and the drift trigger's cooldown item)
 *   writes the table at all. An administrator with `dynamodb:*`, or a role of another stack in the account, would
 *   otherwise be able to write an approval or rewrite the audit trail without going through the registry's checks.
 * Changing this policy is itself an API call (PutResourcePolicy) that CloudTrail records and the next stack
 * deployment reverts; PutItem cannot tell creating an audit row from replacing one, which is what the audit trail's
 * hash chain catches (`mlops audit verify`).
 */
export class RegistryTablePolicy {
  readonly document: iam.PolicyDocument;
  private readonly writerArns: string[] = [];
  private writersStatementAdded = false;

  constructor() {
    this.document = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'AuditRowsAreNeverChanged',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ITEM_CHANGE_ACTIONS,
          resources: ['*'], // in a table's resource policy, '*' is this table (its own ARN would be a circular reference)
          conditions: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [`${AUDIT_PREFIX}*`] } },
        }),
      ],
    });
  }

  /** The role ARNs allowed to write, in grant order. */
  get writers(): readonly string[] {
    return this.writerArns;
  }

  /** Lets `role` write (its identity policy still decides what): adds it to the roles the denial spares. */
  allowWriter(roleArn: string): void {
    if (!this.writersStatementAdded) {
      // Added with the first writer: a condition on an empty list of ARNs is not a valid policy.
      this.document.addStatements(
        new iam.PolicyStatement({
          sid: 'OnlyRegistryWritersWrite',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: TABLE_WRITE_ACTIONS,
          resources: ['*'],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => this.writerArns }) } },
        }),
      );
      this.writersStatementAdded = true;
    }
    if (!this.writerArns.includes(roleArn)) this.writerArns.push(roleArn);
  }
}
