import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import { LOCAL_CREDENTIALS } from '../aws-environment';

// dynalite ships no types; this is the one call we use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

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
  private server?: Server;
  endpoint = '';

  constructor(
    private readonly app: SynthesizedApp,
    private readonly dataDirectory: string | undefined,
  ) {}

  async start(credentials: { region: string }): Promise<void> {
    if (this.dataDirectory) mkdirSync(this.dataDirectory, { recursive: true });
    this.server = dynalite({ path: this.dataDirectory, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    const client = this.client(credentials.region);
    try {
      for (const { stack, logicalId } of this.app.resourcesOfType('AWS::DynamoDB::Table')) {
        const props = stack.properties(logicalId);
        const name = stack.ref(logicalId);
        const keySchema = props.KeySchema as CreateTableCommandInput['KeySchema'];
        const input: CreateTableCommandInput = {
          TableName: name,
          KeySchema: keySchema,
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
        const stream = props.StreamSpecification as { StreamViewType?: string } | undefined;
        this.tables.push({
          name,
          keyAttributes: (keySchema ?? []).map((k) => String(k.AttributeName)),
          streamViewType: stream?.StreamViewType,
          streamArn: stream?.StreamViewType ? String(stack.getAtt(logicalId, 'StreamArn')) : undefined,
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
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
