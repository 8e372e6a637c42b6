import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as errors from '../../lambdas/inference/errors';
import { DEFAULT_LIMITS } from '../../lambdas/inference/request-schema';

// The API document must not drift from the code: every error code the inference tier can answer, with its status.
const doc = readFileSync('docs/inference-api.md', 'utf8');

/** The rows of the doc's error table: code -> HTTP status. */
const documented = new Map(
  [...doc.matchAll(/^\| `(\w+)` \| (\d{3}) \|/gm)].map(([, code, status]) => [code, Number(status)] as const),
);

/** Every concrete typed error of lambdas/inference/errors.ts, with the status it answers. */
type ConcreteError = new (message: string, allow: string) => errors.InferenceError;
const errorClasses = (Object.values(errors) as unknown[])
  .filter((value) => typeof value === 'function' && value.prototype instanceof errors.InferenceError)
  .map((ErrorClass) => new (ErrorClass as ConcreteError)('m', 'GET'));

/** Codes written as literals rather than class names (the handler's InvalidEvent, the service's InternalError). */
const literalCodes = ['lambdas/inference/function-url-event.ts', 'lambdas/inference/inference-service.ts'].flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/error: '(\w+)'/g)].map(([, code]) => code),
);

describe('docs/inference-api.md', () => {
  it('lists every error class of lambdas/inference/errors.ts with the status it answers', () => {
    expect(errorClasses.length).toBeGreaterThanOrEqual(7);
    for (const error of errorClasses) expect([error.name, documented.get(error.name)]).toEqual([error.name, error.statusCode]);
  });

  it('lists the literal codes too, and no code the code does not answer', () => {
    expect(literalCodes.sort()).toEqual(['InternalError', 'InvalidEvent']);
    expect([...documented.keys()].sort()).toEqual([...errorClasses.map((e) => e.name), ...literalCodes].sort());
  });

  it('states the request limits the service applies', () => {
    expect(doc).toContain(`1 to ${DEFAULT_LIMITS.maxInstances.toLocaleString('en')} rows`);
    expect(doc).toContain(`at most ${DEFAULT_LIMITS.maxBodyBytes / 1024 / 1024} MiB`);
  });
});
