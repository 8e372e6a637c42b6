import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPk, modelPk } from '../../../contracts/registry-table-keys';
import { arnScopeOf, type PutEvents } from '../../../lambdas/registry/registry-events';
import { publishAuditInserts } from '../../../lambdas/registry/stream-publisher';
import { registryEventDetailSchema } from '../../../contracts/registry-events';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { by, registration, registryOn } from './fixtures';

let dynamo: LocalDynamo;
let records: DynamoDBRecord[];
const scope = arnScopeOf('arn:aws:lambda:eu-west-1:123456789012:function:fraud-stream-publisher');

beforeAll(async () => {
  dynamo = await startDynalite();
  const registry = registryOn(dynamo);
  await registry.register(registration('card-fraud', 1), 'pipeline:test');
  await registry.approve('card-fraud', 1, by('alice@example.com', 'ship it'));
  // The stream as the table would emit it: INSERTs of every item the registry wrote (the model's items, then its audit
  // rows, written last), images as stored.
  const partition = async (pk: string) =>
    (await dynamo.client.send(new QueryCommand({ TableName: dynamo.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } } })))
      .Items ?? [];
  const Items = [...(await partition(modelPk('card-fraud'))), ...(await partition(auditPk('card-fraud')))];
  records = Items.map((image, i) => ({
    eventID: `e${i}`,
    eventName: 'INSERT',
    dynamodb: { SequenceNumber: String(100 + i), NewImage: image as never, Keys: { pk: image.pk, sk: image.sk } as never },
  }));
});
afterAll(() => dynamo.stop());

const recorder = (failAt?: number) => {
  const sent: PutEventsRequestEntry[] = [];
  const putEvents: PutEvents = async (entries) => {
    const results = entries.map((_, i) => (sent.length + i === failAt ? { ErrorCode: 'InternalFailure' } : { EventId: `id-${sent.length + i}` }));
    sent.push(...entries.slice(0, failAt === undefined ? entries.length : Math.max(0, failAt - sent.length)));
    return { Entries: results };
  };
  return { sent, putEvents };
};

describe('stream publisher', () => {
  it('publishes one SageMaker-shaped event per inserted audit row and ignores other items', async () => {
    const { sent, putEvents } = recorder();
    const outcome = await publishAuditInserts(records, 'fraud-bus', scope, putEvents);

    expect(outcome).toMatchObject({ published: 2, malformed: [], failedSequenceNumbers: [] });
    expect(outcome.ignored).toBe(records.length - 2);
    expect(sent.map((e) => [e.Source, e.DetailType, e.EventBusName])).toEqual([
      ['mlops.registry', 'Model Version State Change', 'fraud-bus'],
      ['mlops.registry', 'Model Version State Change', 'fraud-bus'],
    ]);
    const details = sent.map((e) => registryEventDetailSchema.parse(JSON.parse(e.Detail!)));
    expect(details.map((d) => [d.previousStatus, d.status, d.ModelApprovalStatus])).toEqual([
      [null, 'pending_approval', 'PendingManualApproval'],
      ['pending_approval', 'approved', 'Approved'],
    ]);
    expect(details[1]).toMatchObject({
      ModelPackageGroupName: 'card-fraud',
      ModelPackageVersion: 1,
      ModelPackageArn: 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/card-fraud/1',
      actor: 'alice@example.com',
      reason: 'ship it',
    });
    expect(sent[1].Resources).toEqual([details[1].ModelPackageArn]);
  });

  it('reports the first refused record so the batch resumes there, in order', async () => {
    const audits = records.filter((r) => r.dynamodb?.NewImage?.sk?.S?.startsWith('AUDIT#'));
    const { sent, putEvents } = recorder(1);
    const outcome = await publishAuditInserts(audits, 'fraud-bus', scope, putEvents);
    expect(outcome.published).toBe(1);
    expect(outcome.failedSequenceNumbers).toEqual([audits[1].dynamodb!.SequenceNumber]);
    expect(sent).toHaveLength(1);
  });

  it('skips a malformed audit row without dropping the rest of the batch', async () => {
    const broken: DynamoDBRecord = {
      eventName: 'INSERT',
      dynamodb: { SequenceNumber: '1', NewImage: { pk: { S: 'MODEL#x' }, sk: { S: 'AUDIT#garbage' } } },
    };
    const { sent, putEvents } = recorder();
    const outcome = await publishAuditInserts([broken, ...records], 'fraud-bus', scope, putEvents);
    expect(outcome.malformed).toEqual([{ sequenceNumber: '1', problem: expect.any(String) }]);
    expect(outcome.published).toBe(2);
    expect(sent).toHaveLength(2);
  });

  it('names a bad function ARN', () => {
    expect(() => arnScopeOf('not-an-arn')).toThrow('expected a Lambda function ARN, got "not-an-arn"');
  });
});
