import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../../../local/services/aws-environment';
import { DynaliteServer } from '../../../../local/services/dynamodb/dynalite-server';

const HEADERS = {
  'content-type': 'application/x-amz-json-1.0',
  'x-amz-target': 'DynamoDB_20120810.UpdateItem',
  authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
  'x-amz-date': '20260101T000000Z',
};

function updateOf(id: string): string {
  return JSON.stringify({
    TableName: 'items',
    Key: { id: { S: id } },
    // A condition makes dynalite read the item, then write it: two database operations, the gap between them the race.
    ConditionExpression: 'attribute_not_exists(done)',
    UpdateExpression: 'SET done = :t',
    ExpressionAttributeValues: { ':t': { BOOL: true } },
  });
}

/** Sends a whole request and hangs up without waiting for the answer, as a Lambda worker killed mid-call does. */
function sendAndHangUp(endpoint: string, body: string): Promise<void> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}/`, { method: 'POST', headers: { ...HEADERS, 'content-length': Buffer.byteLength(body) } });
    req.on('error', () => resolve());
    req.end(body, () => setImmediate(() => {
      req.destroy();
      resolve();
    }));
  });
}

/** Sends half a body, then hangs up. */
function hangUpMidBody(endpoint: string, body: string): Promise<void> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}/`, { method: 'POST', headers: { ...HEADERS, 'content-length': Buffer.byteLength(body) } });
    req.on('error', () => resolve());
    req.write(body.slice(0, body.length / 2), () => setTimeout(() => {
      req.destroy();
      resolve();
    }, 20));
  });
}

function clientOf(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: LOCAL_CREDENTIALS });
}

describe('DynaliteServer', () => {
  const uncaught: unknown[] = [];
  const record = (reason: unknown) => uncaught.push(reason);
  beforeEach(() => {
    uncaught.length = 0;
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
  });
  afterEach(() => {
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
  });

  it('answers requests whose client hung up before it closes the database, and ignores bodies that broke off', async () => {
    const dataDirectory = mkdtempSync(join(tmpdir(), 'dynalite-'));
    const rounds = 30;
    for (let round = 0; round < rounds; round++) {
      const server = new DynaliteServer(dataDirectory);
      const endpoint = await server.start();
      if (round === 0) {
        const client = clientOf(endpoint);
        await client.send(new CreateTableCommand({
          TableName: 'items',
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        }));
        client.destroy();
      }
      await Promise.all([sendAndHangUp(endpoint, updateOf(`item-${round}`)), hangUpMidBody(endpoint, updateOf(`broken-${round}`))]);
      await server.stop();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(uncaught.map((error) => (error as Error).stack)).toEqual([]);

    // Every whole update was carried out, none cut off by the close; no broken one reached the table.
    const server = new DynaliteServer(dataDirectory);
    const client = clientOf(await server.start());
    for (let round = 0; round < rounds; round++) {
      const whole = await client.send(new GetItemCommand({ TableName: 'items', Key: { id: { S: `item-${round}` } }, ConsistentRead: true }));
      expect(whole.Item?.done, `item-${round}`).toEqual({ BOOL: true });
      const broken = await client.send(new GetItemCommand({ TableName: 'items', Key: { id: { S: `broken-${round}` } }, ConsistentRead: true }));
      expect(broken.Item, `broken-${round}`).toBeUndefined();
    }
    client.destroy();
    await server.stop();
  }, 60_000);
});
