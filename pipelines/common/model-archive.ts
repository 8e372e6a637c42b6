import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { create, Parser, type ReadEntry } from 'tar';
import { METADATA_FILE, MODEL_FILE, modelMetadataSchema, type ModelMetadata } from '../../contracts/model-metadata';

/** model.tar.gz as SageMaker writes it from the model directory: model.onnx and metadata.json at the top level. */

class ModelArchiveError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelArchiveError';
  }
}

export interface ModelFiles {
  onnx: Buffer;
  metadata: ModelMetadata;
}

/** Packs model.onnx + metadata.json. Fixed mtime and ownership, so the same files give the same archive bytes. */
export async function packModelArchive(onnx: Uint8Array, metadata: ModelMetadata): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'model-archive-'));
  try {
    writeFileSync(join(dir, MODEL_FILE), onnx);
    writeFileSync(join(dir, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
    const chunks: Buffer[] = [];
    const stream = create({ cwd: dir, gzip: { level: 9 }, portable: true, mtime: new Date(0) }, [METADATA_FILE, MODEL_FILE]);
    for await (const chunk of stream as unknown as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads model.onnx and a validated metadata.json from a model.tar.gz (entries may be prefixed with "./"). */
export async function unpackModelArchive(archive: Uint8Array, source = 'model archive'): Promise<ModelFiles> {
  const files = await readArchiveFiles(archive, source);
  const onnx = files.get(MODEL_FILE);
  const metadataText = files.get(METADATA_FILE);
  if (!onnx || !metadataText) {
    throw new ModelArchiveError(`${source} must contain ${MODEL_FILE} and ${METADATA_FILE}, found: ${[...files.keys()].join(', ') || 'nothing'}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(metadataText.toString('utf8'));
  } catch (err) {
    throw new ModelArchiveError(`${METADATA_FILE} in ${source} is not JSON`, { cause: err });
  }
  const metadata = modelMetadataSchema.safeParse(raw);
  if (!metadata.success) {
    throw new ModelArchiveError(
      `${METADATA_FILE} in ${source} is invalid: ${metadata.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return { onnx, metadata: metadata.data };
}

/** Every file of a .tar.gz by name (directories left out, "./" prefixes dropped), so a caller can name what is missing. */
export async function readArchiveFiles(archive: Uint8Array, source = 'model archive'): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      onReadEntry: (entry: ReadEntry) => {
        if (entry.type === 'Directory') return entry.resume();
        const name = entry.path.replace(/^\.\//, '');
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => files.set(name, Buffer.concat(chunks)));
      },
    });
    parser.on('end', resolve);
    parser.on('error', reject);
    Readable.from([Buffer.from(archive)]).on('error', reject).pipe(parser);
  }).catch((err: unknown) => {
    throw new ModelArchiveError(`${source} is not a readable .tar.gz: ${(err as Error).message}`, { cause: err });
  });
  return files;
}
