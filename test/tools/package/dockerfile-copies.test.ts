import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../lib/private/mlops-function';
import { DockerfileCopyError, dockerfileCopySources, dockerfileCopySourcesOf } from '../../../tools/package/dockerfile-copies';
import { builtInDockerfiles } from '../../../tools/package/prebuild';

describe('dockerfileCopySources', () => {
  it('lists the context paths COPY reads, in order, once each, without ./ or a trailing slash', () => {
    const text = ['FROM node:24-slim AS build', 'COPY package.json package-lock.json ./', 'COPY ./lib/ ./lib', 'COPY lib ./lib2', 'RUN npm ci'].join('\n');
    expect(dockerfileCopySources(text)).toEqual(['package.json', 'package-lock.json', 'lib']);
  });

  it('skips COPY --from (another stage), reads past --chown and line continuations', () => {
    const text = ['COPY --from=build /out/ ./', 'COPY --chown=node:node train.sh \\', '  report.py /opt/program/'].join('\n');
    expect(dockerfileCopySources(text)).toEqual(['train.sh', 'report.py']);
  });

  it.each([
    ['ADD model.tar.gz /opt/', /line 1: ADD is not supported/],
    ['COPY *.py /opt/', /line 1: COPY source "\*\.py" is a pattern/],
    ['COPY ["a.py", "/opt/"]', /line 1: the JSON form of COPY is not supported/],
    ['COPY . /app', /line 1: COPY source "\." is the whole context or outside it/],
    ['COPY ../secret /app', /outside it/],
    ['COPY --exclude=x a /app', /line 1: unsupported COPY flag --exclude=x/],
    ['COPY onlyone', /line 1: COPY needs a source and a destination/],
  ])('refuses %s rather than guess what the image reads', (line, message) => {
    expect(() => dockerfileCopySources(`FROM x\n${line}`.split('\n').slice(1).join('\n'), 'Dockerfile')).toThrow(DockerfileCopyError);
    expect(() => dockerfileCopySources(line)).toThrow(message);
  });

  it("reads every built-in image's Dockerfile, and every path it copies exists in the repository", () => {
    expect(builtInDockerfiles()).toEqual(['lambdas/inference/Dockerfile', 'pipelines/processing/Dockerfile', 'pipelines/trainer/Dockerfile']);
    for (const dockerfile of builtInDockerfiles()) {
      const sources = dockerfileCopySourcesOf(join(REPO_ROOT, dockerfile));
      expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
      expect(sources.filter((source) => !existsSync(join(REPO_ROOT, source)))).toEqual([]);
    }
  });
});
