import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { SynthesizedApp } from '../../assembly/synthesized-app';

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

  async stop(): Promise<void> {
    await this.server?.close();
  }
}
