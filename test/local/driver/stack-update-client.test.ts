import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnOutput, type Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestStackUpdate, StackUpdateFailedError, TwinNotRunningError } from '../../../local/driver/stack-update-client';
import { parseOptions } from '../../../local/driver/options';
import { Twin } from '../../../local/twin';
import { synthesize } from '../support/synth';

const app = (tableName: string | undefined, key = 'pk') =>
  synthesize((stack: Stack) => {
    const table = new dynamodb.Table(stack, 'Registry', { tableName, partitionKey: { name: key, type: dynamodb.AttributeType.STRING } });
    new CfnOutput(stack, 'TableName', { value: table.tableName });
  });

describe('npm start -- --update: the running twin applies a cloud assembly through its state file', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'update-client-'));
  const stateFile = join(scratch, 'twin.json');
  let twin: Twin;

  beforeAll(async () => {
    twin = await Twin.start({ cdkOut: app('registry'), dataDirectory: join(scratch, 'data'), stateFile });
  });
  afterAll(async () => {
    await twin?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('parses --update', () => {
    expect(parseOptions(['--update', '--no-synth']).update).toBe(true);
    expect(parseOptions([]).update).toBe(false);
  });

  it('returns the change set and the state file gets the new outputs', async () => {
    const changeSet = await requestStackUpdate(stateFile, app('registry-2'));
    expect(changeSet).toEqual([{ stackName: 'TestStack', created: [], updated: [], replaced: [expect.stringMatching(/^Registry/)], deleted: [], retained: [expect.stringMatching(/^Registry/)], outputsChanged: ['TableName'] }]);
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).stacks.TestStack.outputs.TableName).toBe('registry-2');
  });

  it('reports an update CloudFormation refuses with its code and message, and changes nothing', async () => {
    const refused = requestStackUpdate(stateFile, app('registry-2', 'id'));
    await expect(refused).rejects.toThrow(StackUpdateFailedError);
    await expect(refused).rejects.toMatchObject({ code: 'StackUpdateError', message: expect.stringContaining('Rename registry-2 and update the stack again.') });
    expect(twin.output('TableName')).toBe('registry-2');
  });

  it('answers 400 naming the field for a request without cdkOut, and for a directory that is no cloud assembly', async () => {
    const post = (body: unknown) => fetch(`${twin.url}/twin/stack-update`, { method: 'POST', body: JSON.stringify(body) });
    const missing = await post({});
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: 'InvalidRequest', message: expect.stringContaining('cdkOut') });
    const wrong = await post({ cdkOut: scratch });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'CloudAssemblyError', message: expect.stringContaining('manifest.json does not exist') });
  });

  it('says no twin is running when the state file is missing or names a twin that is gone', async () => {
    await expect(requestStackUpdate(join(scratch, 'none.json'), scratch)).rejects.toThrow(new TwinNotRunningError(`no twin is running: ${join(scratch, 'none.json')} does not exist (start one with npm start)`));
    const stale = join(scratch, 'stale.json');
    writeFileSync(stale, JSON.stringify({ twinUrl: 'http://127.0.0.1:1' }));
    await expect(requestStackUpdate(stale, scratch)).rejects.toThrow(/^no twin answers at http:\/\/127.0.0.1:1/);
  });
});
