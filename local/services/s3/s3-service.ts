import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, DeleteBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { ChangeSet } from '../../assembly/change-set';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import type { Timeline } from '../../timeline';
import { LOCAL_CREDENTIALS } from '../aws-environment';
import { S3MapObjectStore } from './map-object-store';

// s3rver ships no types; these are the calls we use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: Array<{ name: string }>;
  vhostBuckets: boolean;
  allowMismatchedSignatures: boolean;
}) => { run(): Promise<AddressInfo>; close(): Promise<void> };

/**
 * AWS::S3::Bucket served by s3rver (path-style), objects persisted under the twin's data folder. Bucket policies,
 * encryption, versioning, lifecycle and access logging have no local effect: the twin stores plain objects.
 */
export class S3Service {
  readonly buckets: string[];
  endpoint = '';
  private server?: { close(): Promise<void> };
  private mapClient?: S3Client;

  constructor(
    app: SynthesizedApp,
    private readonly dataDirectory: string,
  ) {
    this.buckets = app.resourcesOfType('AWS::S3::Bucket').map(({ stack, logicalId }) => stack.ref(logicalId));
  }

  async start(): Promise<void> {
    mkdirSync(this.dataDirectory, { recursive: true });
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: this.dataDirectory,
      configureBuckets: this.buckets.map((name) => ({ name })),
      vhostBuckets: false,
      allowMismatchedSignatures: true,
    });
    const address = await server.run();
    this.server = server;
    this.endpoint = `http://127.0.0.1:${address.port}`;
  }

  /** A stack update: new buckets created; every other bucket keeps its objects. */
  async reconcile(changes: ChangeSet): Promise<void> {
    const s3 = this.client(changes.newApp);
    try {
      for (const change of changes.ofType('AWS::S3::Bucket')) {
        if (change.action !== 'create' && change.action !== 'replace') continue;
        const name = changes.newApp.stack(change.stackName)!.ref(change.logicalId);
        await s3.send(new CreateBucketCommand({ Bucket: name })).catch((err: Error) => {
          if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
        });
        this.buckets.push(name);
      }
    } finally {
      s3.destroy();
    }
  }

  /**
   * The update's deletions: a removed bucket goes unless its DeletionPolicy retains it, and only when empty; a bucket
   * with objects stays, as CloudFormation's delete fails (BucketNotEmpty), and the timeline says so.
   */
  async cleanUp(changes: ChangeSet, timeline: Timeline): Promise<void> {
    const s3 = this.client(changes.oldApp);
    try {
      for (const change of changes.ofType('AWS::S3::Bucket')) {
        if (change.action !== 'delete' || change.retained) continue;
        const name = changes.oldApp.stack(change.stackName)!.ref(change.logicalId);
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: name, MaxKeys: 1 }));
        if (listed.KeyCount) {
          timeline.add('error', `bucket ${name} (${change.logicalId}) was not deleted: The bucket you tried to delete is not empty`);
          continue;
        }
        await s3.send(new DeleteBucketCommand({ Bucket: name }));
        this.buckets.splice(this.buckets.indexOf(name), 1);
      }
    } finally {
      s3.destroy();
    }
  }

  private client(app: SynthesizedApp): S3Client {
    return new S3Client({ region: app.env.region, endpoint: this.endpoint, forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
  }

  /** What Distributed Map states read items from and write results to; one client, closed with the service. */
  mapObjectStore(app: SynthesizedApp): S3MapObjectStore {
    this.mapClient ??= this.client(app);
    return new S3MapObjectStore(this.mapClient);
  }

  async stop(): Promise<void> {
    this.mapClient?.destroy();
    await this.server?.close();
  }
}
