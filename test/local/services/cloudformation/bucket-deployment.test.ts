import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CfnOutput, type Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Twin } from '../../../../local/twin';
import { synthesize } from '../../support/synth';

/** A bucket filled by CDK's BucketDeployment from a page and a JSON document with a deploy-time value (a function's name). */
function siteApp(page: string): string {
  return synthesize((stack: Stack) => {
    const target = new s3.Bucket(stack, 'Site');
    const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1') });
    new s3deploy.BucketDeployment(stack, 'Deploy', {
      destinationBucket: target,
      sources: [s3deploy.Source.data('index.html', page), s3deploy.Source.jsonData('config.json', { functionName: fn.functionName, fixed: 1 })],
      cacheControl: [s3deploy.CacheControl.noCache()],
    });
    new CfnOutput(stack, 'SiteBucket', { value: target.bucketName });
    new CfnOutput(stack, 'FunctionName', { value: fn.functionName });
  }, 'Site');
}

describe('Custom::CDKBucketDeployment in the twin', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'bucket-deployment-'));
  let twin: Twin;
  let client: S3Client;
  let bucket: string;
  let functionName: string;

  beforeAll(async () => {
    // GIVEN the deployment (CDK's handler is Python, which the twin's Lambda runtime does not run)
    const cdkOut = siteApp('<h1>hello</h1>');
    twin = await Twin.start({ cdkOut, dataDirectory: join(scratch, 'data') });
    bucket = twin.output('SiteBucket');
    functionName = twin.output('FunctionName');
    client = new S3Client({ region: 'us-east-1', endpoint: twin.endpoints.s3, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  }, 120_000);

  afterAll(async () => {
    client?.destroy();
    await twin?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const read = async (key: string) => {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { body: await object.Body!.transformToString(), contentType: object.ContentType, cacheControl: object.CacheControl };
  };

  it('puts every source file in the bucket with the deploy-time values resolved, without running the Python handler', async () => {
    expect(await read('index.html')).toEqual({ body: '<h1>hello</h1>', contentType: 'text/html', cacheControl: 'no-cache' });
    const config = await read('config.json');
    expect(JSON.parse(config.body)).toEqual({ functionName, fixed: 1 });
    expect(config.contentType).toBe('application/json');
    expect(twin.timeline.entries.map((e) => e.message)).toContainEqual(expect.stringMatching(/Custom::CDKBucketDeployment\): Create, run by the twin/));
  });

  it('on a stack update that changes the sources, puts the new files and prunes what they no longer hold', async () => {
    // GIVEN a file in the bucket that no source holds
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'stale.js', Body: 'old' }));
    // WHEN the page changes in a stack update
    await twin.update(siteApp('<h1>hello again</h1>'));
    // THEN the bucket holds exactly the sources' files, the page new
    const keys = (await client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents!.map((o) => o.Key).sort();
    expect(keys).toEqual(['config.json', 'index.html']);
    expect((await read('index.html')).body).toBe('<h1>hello again</h1>');
  });
});
