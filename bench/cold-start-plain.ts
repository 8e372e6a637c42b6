/**
 * Bundled and loaded by bench/cold-start.ts as the inference function's bundle is, through the same driver: the work of
 * the function's cold start in the plainest code that does it. The registry's version item and the model archive read
 * with two SigV4-signed requests over Node's http (the function's signer and builtins), both started at once and
 * onnxruntime-node loaded while they are in flight; the archive's SHA-256 checked against the item's; gunzip and a walk
 * over the ustar headers for model.onnx and metadata.json; a session with the function's options. Its handler parses
 * the function URL event's body and runs the rows.
 * None of what the function does around that work: no validation of the item, the metadata or the request, no
 * metrics, logs or capture, no retries, one module. Beside the bare script, it says how much of a cold start above that
 * script is the work itself, whatever the code around it.
 */
import { gunzipSync } from 'node:zlib';
import type * as ort from 'onnxruntime-node';
import { modelPk, versionSk } from '../contracts/registry-table-keys';
import { SESSION_OPTIONS } from '../lambdas/inference/model-session';
import { httpModuleFor, nodeCrypto } from '../lambdas/shared/node-builtins';
import { encodeRfc3986, signRequest } from '../lambdas/shared/sigv4';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is required (bench/cold-start.ts sets it)`);
  return value;
}

/** One signed request; the whole response body, or an error naming the status. */
function send(service: 's3' | 'dynamodb', method: string, endpoint: string, path: string, headers: Record<string, string>, body?: string): Promise<Buffer> {
  const url = new URL(endpoint);
  const withLength = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
  const signed = signRequest({ method, host: url.host, path, headers: withLength, body }, { service, region: env('AWS_REGION'), credentials: { accessKeyId: env('AWS_ACCESS_KEY_ID'), secretAccessKey: env('AWS_SECRET_ACCESS_KEY') } });
  return new Promise((resolve, reject) => {
    const request = httpModuleFor(url).request({ method, hostname: url.hostname, port: url.port, path, headers: signed }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${service} answered ${response.statusCode}`))));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** The regular files of an uncompressed tar, by name without a leading `./`. */
function tarFiles(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let offset = 0; offset + 512 <= tar.length && tar[offset] !== 0; ) {
    const name = tar.toString('latin1', offset, offset + 100).replace(/\0.*$/s, '').replace(/^(\.\/)+/, '');
    const size = parseInt(tar.toString('latin1', offset + 124, offset + 136), 8);
    const type = tar[offset + 156];
    if (type === 0 || type === 0x30) files.set(name, tar.subarray(offset + 512, offset + 512 + size));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

const artifactUri = env('MODEL_ARTIFACT_URI');
const item = send('dynamodb', 'POST', env('AWS_ENDPOINT_URL_DYNAMODB'), '/', { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
  JSON.stringify({ TableName: env('REGISTRY_TABLE_NAME'), Key: { pk: { S: modelPk(env('MODEL_NAME')) }, sk: { S: versionSk(Number(env('MODEL_VERSION'))) } }, ConsistentRead: true }),
);
const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(artifactUri) ?? [];
const archive = send('s3', 'GET', env('AWS_ENDPOINT_URL_S3'), `/${bucket}/${key.split('/').map(encodeRfc3986).join('/')}`, {});
const { InferenceSession, Tensor } = (await import('onnxruntime-node')) as typeof ort;

const { Item } = JSON.parse((await item).toString('utf8')) as { Item?: Record<string, { S?: string }> };
if (Item?.artifactUri?.S !== artifactUri) throw new Error(`the registry records ${Item?.artifactUri?.S} for this version, not ${artifactUri}`);
const bytes = await archive;
if (nodeCrypto.createHash('sha256').update(bytes).digest('hex') !== Item.artifactSha256?.S) throw new Error(`${artifactUri} is not the archive the registry recorded`);
const files = tarFiles(gunzipSync(bytes));
const onnx = files.get('model.onnx');
const metadata = files.get('metadata.json');
if (!onnx || !metadata) throw new Error(`${artifactUri} has no model.onnx or metadata.json`);
const { inputName, outputName } = JSON.parse(metadata.toString('utf8')) as { inputName: string; outputName: string };
const session = await InferenceSession.create(onnx, SESSION_OPTIONS);

/** The rows of a function URL event's `{"instances": [[...], ...]}`, predicted; their outputs as the body. */
export async function handler(event: { body: string }): Promise<{ statusCode: number; body: string }> {
  const { instances } = JSON.parse(event.body) as { instances: number[][] };
  const input = new Tensor('float32', Float32Array.from(instances.flat()), [instances.length, instances[0].length]);
  const output = await session.run({ [inputName]: input }, [outputName]);
  return { statusCode: 200, body: JSON.stringify({ outputs: Array.from(output[outputName].data as Float32Array) }) };
}
