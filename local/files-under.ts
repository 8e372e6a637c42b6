import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** A file under a directory: its path, and its path relative to the directory with `/` separators (an S3 key's suffix). */
export interface FileUnder {
  readonly path: string;
  readonly key: string;
}

/** Every file under `directory`, at any depth, in key order. */
export function filesUnder(directory: string): FileUnder[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path, key: relative(directory, path).split(sep).join('/') };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
