import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionEntries } from '../../../tools/package/prebuild';

describe('prebuild', () => {
  it('finds every Lambda entry of the repository, as many as the changelog says the package ships', () => {
    const entries = functionEntries();
    expect(entries).toContain('lambdas/scoring/score-chunk.handler.ts');
    expect(entries).toContain('lambdas/inference/handler.ts');
    expect(entries.every((entry) => /^lambdas\/[a-z-]+\/([a-z-]+\.)?handler\.ts$/.test(entry))).toBe(true);
    const changelog = readFileSync(join(__dirname, '..', '..', '..', 'CHANGELOG.md'), 'utf8');
    expect(changelog).toContain(`the ${entries.length} Lambda function bundles`);
  });
});
