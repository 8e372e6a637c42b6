import { readFileSync } from 'node:fs';

/** A Dockerfile instruction the package build cannot read the build-context files of. */
export class DockerfileCopyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DockerfileCopyError';
  }
}

/**
 * The build-context paths a Dockerfile's COPY instructions read (files or directories, relative to the context), in
 * order and without repeats. COPY --from=<stage> reads another stage, not the context, and is skipped. ADD, globs and
 * the JSON form are refused rather than guessed at: the package must ship every file the image build reads.
 */
export function dockerfileCopySources(text: string, file = 'Dockerfile'): string[] {
  const sources: string[] = [];
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  lines.forEach((line, index) => {
    const [instruction, ...words] = line.trim().split(/\s+/);
    const where = `${file} line ${index + 1}`;
    if (/^ADD$/i.test(instruction)) throw new DockerfileCopyError(`${where}: ADD is not supported (use COPY), got: ${line.trim()}`);
    if (!/^COPY$/i.test(instruction)) return;
    const flags = words.filter((w) => w.startsWith('--'));
    if (flags.some((f) => f.startsWith('--from='))) return;
    const unknown = flags.filter((f) => !/^--(chown|chmod|link)(=|$)/.test(f));
    if (unknown.length) throw new DockerfileCopyError(`${where}: unsupported COPY flag ${unknown.join(' ')}`);
    const paths = words.filter((w) => !w.startsWith('--'));
    if (paths[0]?.startsWith('[')) throw new DockerfileCopyError(`${where}: the JSON form of COPY is not supported, got: ${line.trim()}`);
    if (paths.length < 2) throw new DockerfileCopyError(`${where}: COPY needs a source and a destination, got: ${line.trim()}`);
    for (const source of paths.slice(0, -1)) {
      if (/[*?[]/.test(source)) throw new DockerfileCopyError(`${where}: COPY source "${source}" is a pattern; name the files`);
      const clean = source.replace(/^\.\//, '').replace(/\/$/, '');
      if (clean === '.' || clean === '' || clean.split('/').includes('..')) {
        throw new DockerfileCopyError(`${where}: COPY source "${source}" is the whole context or outside it; name what the image needs`);
      }
      if (!sources.includes(clean)) sources.push(clean);
    }
  });
  return sources;
}

/** dockerfileCopySources of a Dockerfile on disk. */
export const dockerfileCopySourcesOf = (path: string): string[] => dockerfileCopySources(readFileSync(path, 'utf8'), path);
