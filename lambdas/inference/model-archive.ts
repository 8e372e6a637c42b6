// The parser's own entry points: `tar`'s main one is a prebuilt, minified file of the whole package, which the
// function bundle would then carry in full (creating, extracting, listing...).
import { Parser } from 'tar/parse';
import type { ReadEntry } from 'tar/read-entry';
import { formatIssues } from '../../contracts/validation-issues';
import { METADATA_FILE, MODEL_FILE, type ModelMetadata, modelMetadataSchema } from '../../contracts/model-metadata';
import { ModelUnavailableError } from './errors';

/** The two files of a model artifact, read from model.tar.gz. */
export interface ModelArtifact {
  onnx: Uint8Array;
  metadata: ModelMetadata;
}

/** Files in the archive larger than this are refused: a model for this tier fits in a Lambda's memory many times over. */
const MAX_ENTRY_BYTES = 1024 * 1024 * 1024;

/**
 * Reads model.tar.gz in memory (gzip and ustar/pax/GNU headers through `tar`'s parser, which works synchronously
 * on a buffer) and returns model.onnx and the parsed metadata.json. Entries may sit at the root or under `./`.
 * `source` names the artifact in error messages.
 */
export function readModelArchive(bytes: Uint8Array, source: string): ModelArtifact {
  const files = new Map<string, Buffer[]>();
  const problems: string[] = [];
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      const name = entry.path.replace(/^(\.\/)+/, '');
      if (entry.type !== 'File' || (name !== MODEL_FILE && name !== METADATA_FILE) || entry.size > MAX_ENTRY_BYTES) {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      files.set(name, chunks);
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    },
  });
  parser.on('warn', (code: string, message: string | Error) => problems.push(`${code}: ${String(message)}`));
  parser.on('error', (error: Error) => problems.push(error.message));
  parser.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

  const onnx = files.get(MODEL_FILE);
  const metadataBytes = files.get(METADATA_FILE);
  if (!onnx || !metadataBytes) {
    const missing = [MODEL_FILE, METADATA_FILE].filter((f) => !files.has(f)).join(' and ');
    const detail = problems.length ? ` (${[...new Set(problems)].join('; ')})` : '';
    throw new ModelUnavailableError(`model archive ${source} has no ${missing}${detail}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(metadataBytes).toString('utf8'));
  } catch (error) {
    throw new ModelUnavailableError(`${METADATA_FILE} in ${source} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = modelMetadataSchema.safeParse(json);
  if (!parsed.success) {
    throw new ModelUnavailableError(`${METADATA_FILE} in ${source} is invalid: ${formatIssues(parsed.error).join('; ')}`);
  }
  return { onnx: Buffer.concat(onnx), metadata: parsed.data };
}
