import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTeamConfig, TeamConfigError } from '../../contracts/team-config';
import { DriftMemoryError, heldValuesFor, referenceBytes, summaryReadsInFlight } from '../../lambdas/drift/drift-memory';
import { largeReferences } from '../lambdas/drift/fixtures';

const doc = readFileSync('docs/scaling.md', 'utf8');
const codeSpans = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map(([, span]) => span);
/** The knob table's rows: the team config fields of the field column (its props in parentheses left out) and their defaults. */
const knobs = (() => {
  const table = doc.slice(doc.indexOf('| what grows |')).split('\n\n')[0];
  return table
    .split('\n')
    .slice(2)
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()))
    .map(([, fields, defaults]) => ({ fields: codeSpans(fields.replace(/\(.*\)/, '')), defaults: defaults.split(', ').map(Number) }));
})();

/** The example team's config with `path` removed, so it takes its default. */
function exampleWithout(path: string): Record<string, unknown> {
  const raw = JSON.parse(readFileSync('pipelines/teams/fraud.json', 'utf8')) as Record<string, unknown>;
  const keys = path.split('.');
  let section: Record<string, unknown> | undefined = raw;
  for (const key of keys.slice(0, -1)) section = section?.[key] as Record<string, unknown> | undefined;
  if (section) delete section[keys[keys.length - 1]];
  return raw;
}

const valueAt = (config: unknown, path: string) => path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], config);

describe('docs/scaling.md', () => {
  it('gives each knob\'s team config field with the default the parser gives it', () => {
    expect(knobs.flatMap((k) => k.fields)).toHaveLength(9);
    for (const { fields, defaults } of knobs) {
      expect(defaults, fields.join(', ')).toHaveLength(fields.length);
      fields.forEach((field, i) => expect(valueAt(parseTeamConfig(exampleWithout(field)), field), field).toBe(defaults[i]));
    }
  });

  it('quotes the error a value out of range gets', () => {
    const quoted = /\(`(drift\.memoryMiB: [^`]+)`\)/.exec(doc)?.[1];
    const raw = exampleWithout('drift.memoryMiB') as { drift: Record<string, unknown> };
    raw.drift.memoryMiB = 256;
    let error: unknown;
    try {
      parseTeamConfig(raw);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TeamConfigError);
    expect((error as Error).message.split('\n')).toContain(`  - ${quoted}`);
  });

  it('sizes the drift memory as drift-memory.ts does: its figures, its limit at the default, its error', () => {
    const section = doc.slice(doc.indexOf('## Sizing the drift memory'), doc.indexOf('## What to watch'));
    // The MiB a numeric feature of 10^6 distinct values takes
    const perFeature = Number(/about (\d+) MiB a numeric feature/.exec(section)?.[1]);
    expect(Math.round((referenceBytes(largeReferences(2, 1e6)) - referenceBytes(largeReferences(1, 1e6))) / 2 ** 20)).toBe(perFeature);
    // The most numeric features the default memory takes: that many fit, one more is refused
    const most = Number(/that is up to (\d+) numeric features/.exec(section)?.[1]);
    expect(heldValuesFor(2048, largeReferences(most, 1e6))).toBeGreaterThan(0);
    expect(() => heldValuesFor(2048, largeReferences(most + 1, 1e6))).toThrow(DriftMemoryError);
    // The quoted error is the one a feature more gets, the memory to set left out
    const quoted = [...section.matchAll(/^> (.*)$/gm)].map(([, line]) => line).join(' ');
    let message = '';
    try {
      heldValuesFor(2048, largeReferences(most + 1, 1e6));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.replace(/to at least \d+/, 'to at least …')).toBe(quoted);
    // The summaries the decide step reads at once at that limit, however large they are stored
    const [, reads, features] = /up to 8, as far as .*?: (\d+) for (\d+)\s+numeric\s+features\s+of\s+10\^6\s+baseline\s+values\s+at\s+2048\s+MiB/s.exec(section) ?? [];
    expect(Number(features)).toBe(most);
    expect(summaryReadsInFlight(2048, largeReferences(most, 1e6), 2 ** 30)).toBe(Number(reads));
  });
});
