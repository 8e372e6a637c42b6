import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  AUDIT_PREFIX,
  auditPk,
  auditSk,
  META_SK,
  MODELS_INDEX,
  MODELS_INDEX_PARTITION,
  modelPk,
  RUN_PREFIX,
  runSk,
  tokenKey,
  VERSION_PREFIX,
  versionSk,
} from '../../contracts/registry-table-keys';
import type { RunRecord } from '../../contracts/registry-api';
import { recordOf } from './item-record';
import type { AuditRecord, ModelRecord, TokenRecord, VersionRecord } from './schemas';
import type { Change, RegistryStore, StoredModel } from './store';

type Item = Record<string, unknown>;

const isConditionFailure = (err: unknown) => err instanceof ConditionalCheckFailedException;

/**
 * The registry on DynamoDB without multi-item transactions (dynalite, the local stand-in, has none).
 *
 * Why this is atomic: the model item (`META`) is the commit point. A change is committed by one conditional Put of
 * the model item that (a) requires the revision the writer read and no pending change and (b) stores the whole
 * change in `pending`. Only then are the change's items written, each stamped with the change's revision and
 * conditioned on carrying an older one, and `pending` is cleared. A writer or reader that finds `pending` set
 * finishes it first. So every change is all-or-nothing as seen through the registry, changes are serialised per
 * model, and a late or repeated apply can never overwrite a newer change.
 */
export class DynamoRegistryStore implements RegistryStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getModel(model: string): Promise<StoredModel | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: modelPk(model), sk: META_SK }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return { record: recordOf<ModelRecord>(Item), revision: Item.revision as number, pending: Item.pending as Change | undefined };
  }

  async listModels(): Promise<ModelRecord[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      IndexName: MODELS_INDEX,
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': MODELS_INDEX_PARTITION },
    });
    return items.map((item) => recordOf<ModelRecord>(item));
  }

  async getVersion(model: string, version: number): Promise<VersionRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: modelPk(model), sk: versionSk(version) }, ConsistentRead: true }),
    );
    return Item ? recordOf<VersionRecord>(Item) : undefined;
  }

  async listVersions(model: string): Promise<VersionRecord[]> {
    return (await this.queryPrefix(model, VERSION_PREFIX)).map((item) => recordOf<VersionRecord>(item));
  }

  async listAudit(model: string, version?: number): Promise<AuditRecord[]> {
    const rows = (await this.queryPrefix(model, AUDIT_PREFIX, auditPk(model))).map((item) => recordOf<AuditRecord>(item));
    return version === undefined ? rows : rows.filter((row) => row.version === version);
  }

  async listRuns(model: string): Promise<RunRecord[]> {
    return (await this.queryPrefix(model, RUN_PREFIX)).map((item) => recordOf<RunRecord>(item));
  }

  async getToken(model: string, clientToken: string): Promise<TokenRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: tokenKey(model, clientToken), ConsistentRead: true }),
    );
    return Item ? recordOf<TokenRecord>(Item) : undefined;
  }

  async commit(change: Change, expectedRevision: number): Promise<boolean> {
    const name = change.model.model;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: modelPk(name),
            sk: META_SK,
            gsi1pk: MODELS_INDEX_PARTITION,
            gsi1sk: name,
            ...change.model,
            revision: change.revision,
            pending: change,
          },
          ...(expectedRevision === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#revision = :expected AND attribute_not_exists(pending)',
                ExpressionAttributeNames: { '#revision': 'revision' },
                ExpressionAttributeValues: { ':expected': expectedRevision },
              }),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async apply(change: Change): Promise<void> {
    const pk = modelPk(change.model.model);
    const items: Item[] = [
      ...change.versions.map((v) => ({ pk, sk: versionSk(v.version), ...v })),
      ...change.tokens.map((t) => ({ ...tokenKey(t.model, t.clientToken), ...t })),
      ...change.runs.map((r) => ({ pk, sk: runSk(r.executionName), ...r })),
    ];
    for (const item of items) await this.putStamped(item, change.revision);
    // Audit rows last: each one becomes a registry event, which must never describe a state not yet written.
    for (const audit of change.audits) await this.putOnce({ pk: auditPk(audit.model), sk: auditSk(audit.seq), ...audit });
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk, sk: META_SK },
          UpdateExpression: 'REMOVE pending',
          ConditionExpression: 'pending.id = :id',
          ExpressionAttributeValues: { ':id': change.id },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err; // already cleared by another writer
    }
  }

  async putRun(run: RunRecord): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: modelPk(run.model), sk: runSk(run.executionName), ...run },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** Creates an item that is never replaced: a repeated apply finds it there and leaves it alone. */
  private async putOnce(item: Item): Promise<void> {
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** Writes an item of change `revision` unless the item already carries this or a newer change. */
  private async putStamped(item: Item, revision: number): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...item, changeRevision: revision },
          ConditionExpression: 'attribute_not_exists(pk) OR changeRevision < :revision',
          ExpressionAttributeValues: { ':revision': revision },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  private queryPrefix(model: string, prefix: string, pk = modelPk(model)): Promise<Item[]> {
    return this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
      ConsistentRead: true,
    });
  }

  private async queryAll(input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const page = await this.client.send(new QueryCommand({ ...input, ExclusiveStartKey }));
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }
}

/** Document client settings the store relies on: optional record fields are simply left out. */
export const registryDocumentClient = (client: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
