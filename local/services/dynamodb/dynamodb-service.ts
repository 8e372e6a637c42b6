import { mkdirSync } from 'node:fs';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import type { ChangeSet } from '../../assembly/change-set';
import type { StackResolver } from '../../assembly/intrinsics';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import { LOCAL_CREDENTIALS } from '../aws-environment';
import { DynaliteServer } from './dynalite-server';

/** A table from the templates, as the stream emulation needs it. */
export interface TableDefinition {
  readonly name: string;
  readonly keyAttributes: string[];
  readonly streamViewType?: string;
  readonly streamArn?: string;
}

/**
 * AWS::DynamoDB::Table served by dynalite, persisted under the twin's data folder (so the registry survives restarts).
 * Tables are created from the template's key schema, attribute definitions and GSIs/LSIs; billing and encryption
 * settings have no local meaning.
 */
export class DynamoDbService {
  readonly tables: TableDefinition[] = [];
  private server?: DynaliteServer;
  private region = 'us-east-1';
  endpoint = '';

  constructor(
    private app: SynthesizedApp,
    private readonly dataDirectory: string | undefined,
  ) {}

  async start(credentials: { region: string }): Promise<void> {
    if (this.dataDirectory) mkdirSync(this.dataDirectory, { recursive: true });
    this.server = new DynaliteServer(this.dataDirectory);
    this.endpoint = await this.server.start();
    this.region = credentials.region;
    const client = this.client(this.region);
    try {
      for (const { stack, logicalId } of this.app.resourcesOfType('AWS::DynamoDB::Table')) this.tables.push(await createTable(client, stack, logicalId));
    } finally {
      client.destroy();
    }
  }

  /**
   * A stack update: new tables created; a table whose key schema changed is replaced (deleted and created empty
   * under the same name: the twin's names do not change with a replacement); every other table keeps its items, and
   * its stream settings are read again. Removed tables wait for `cleanUp`.
   */
  async reconcile(changes: ChangeSet): Promise<void> {
    this.app = changes.newApp;
    const client = this.client(this.region);
    try {
      for (const change of changes.ofType('AWS::DynamoDB::Table')) {
        const stack = changes.newApp.stack(change.stackName)!;
        if (change.action === 'replace') {
          const TableName = changes.oldApp.stack(change.stackName)!.ref(change.logicalId);
          await client.send(new DeleteTableCommand({ TableName }));
          await waitUntilTableNotExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName });
        }
        if (change.action === 'replace' || change.action === 'create') await createTable(client, stack, change.logicalId);
      }
    } finally {
      client.destroy();
    }
    this.tables.length = 0;
    for (const { stack, logicalId } of this.app.resourcesOfType('AWS::DynamoDB::Table')) this.tables.push(tableDefinition(stack, logicalId));
  }

  /** The update's deletions: removed tables go with their items, unless their DeletionPolicy retains them. */
  async cleanUp(changes: ChangeSet): Promise<void> {
    const client = this.client(this.region);
    try {
      for (const change of changes.ofType('AWS::DynamoDB::Table')) {
        if (change.action !== 'delete' || change.retained) continue;
        await client.send(new DeleteTableCommand({ TableName: changes.oldApp.stack(change.stackName)!.ref(change.logicalId) })).catch((err: unknown) => {
          if (!(err instanceof ResourceNotFoundException)) throw err;
        });
      }
    } finally {
      client.destroy();
    }
  }

  client(region: string): DynamoDBClient {
    return new DynamoDBClient({ region, endpoint: this.endpoint, credentials: LOCAL_CREDENTIALS });
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }
}

/** Creates a template's table (an existing one, from an earlier run's data folder, is kept with its items). */
async function createTable(client: DynamoDBClient, stack: StackResolver, logicalId: string): Promise<TableDefinition> {
  const props = stack.properties(logicalId);
  const name = stack.ref(logicalId);
  const input: CreateTableCommandInput = {
    TableName: name,
    KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
    AttributeDefinitions: props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    BillingMode: 'PAY_PER_REQUEST',
    GlobalSecondaryIndexes: (props.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'])?.map((index) => ({
      IndexName: index.IndexName,
      KeySchema: index.KeySchema,
      Projection: index.Projection,
    })),
    LocalSecondaryIndexes: props.LocalSecondaryIndexes as CreateTableCommandInput['LocalSecondaryIndexes'],
  };
  try {
    await client.send(new CreateTableCommand(input));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw new Error(`creating table ${name} (${logicalId}): ${(err as Error).message}`, { cause: err });
  }
  return tableDefinition(stack, logicalId);
}

function tableDefinition(stack: StackResolver, logicalId: string): TableDefinition {
  const props = stack.properties(logicalId);
  const stream = props.StreamSpecification as { StreamViewType?: string } | undefined;
  return {
    name: stack.ref(logicalId),
    keyAttributes: ((props.KeySchema as Array<{ AttributeName: unknown }>) ?? []).map((k) => String(k.AttributeName)),
    streamViewType: stream?.StreamViewType,
    streamArn: stream?.StreamViewType ? String(stack.getAtt(logicalId, 'StreamArn')) : undefined,
  };
}
