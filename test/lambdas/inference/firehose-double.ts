import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny HTTP endpoint speaking Firehose's JSON protocol for `Firehose_20150804.PutRecordBatch` (no Firehose
 * stand-in package exists). It stores the decoded records and can reject chosen records with an ErrorCode, as
 * Firehose does under throttling, to exercise FailedPutCount handling.
 */
export interface FirehoseDouble {
  endpoint: string;
  /** Each accepted call's records, decoded as UTF-8. */
  calls: { streamName: string; records: string[] }[];
  /** Every accepted record's lines, in order. */
  lines(): string[];
  /** Decides per attempted record (a running count over all calls) whether Firehose rejects it. */
  rejectRecord?: (index: number) => boolean;
  stop(): Promise<void>;
}

export async function startFirehoseDouble(): Promise<FirehoseDouble> {
  let attempted = 0;
  const double: FirehoseDouble = {
    endpoint: '',
    calls: [],
    lines: () => double.calls.flatMap((call) => call.records.join('').split('\n').filter(Boolean)),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.headers['x-amz-target'] !== 'Firehose_20150804.PutRecordBatch') {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ __type: 'UnknownOperationException' }));
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { DeliveryStreamName: string; Records: { Data: string }[] };
      const accepted: string[] = [];
      const responses = body.Records.map((record) => {
        if (double.rejectRecord?.(attempted++)) return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
        accepted.push(Buffer.from(record.Data, 'base64').toString('utf8'));
        return { RecordId: `record-${attempted}` };
      });
      double.calls.push({ streamName: body.DeliveryStreamName, records: accepted });
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ FailedPutCount: body.Records.length - accepted.length, Encrypted: false, RequestResponses: responses }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  double.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return double;
}
