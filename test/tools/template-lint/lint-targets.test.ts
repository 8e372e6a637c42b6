import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { teamConfigSchema } from '../../../contracts/team-config';
import { ALL_FEATURES_TEAM, lintTargets, TEAMS_DIR } from '../../../tools/template-lint/lint-targets';

/**
 * Paths of fields the schema allows that `raw` leaves out: the optional and defaulted fields of every object, and of
 * the variant of a discriminated union that `raw` chose.
 */
function unsetFields(schema: z.ZodType, raw: unknown, path: string[] = []): string[] {
  let inner = schema as z.ZodType & { def: { type: string; innerType?: z.ZodType; options?: z.ZodType[] } };
  while (['optional', 'default', 'prefault', 'nullable'].includes(inner.def.type)) inner = inner.def.innerType as typeof inner;
  if (inner.def.type === 'union' && inner.def.options) {
    const chosen = inner.def.options.find((option) => option.safeParse(raw).success);
    return chosen ? unsetFields(chosen, raw, path) : [];
  }
  if (inner.def.type !== 'object' || typeof raw !== 'object' || raw === null) return [];
  const { shape } = inner as unknown as z.ZodObject;
  return Object.entries(shape).flatMap(([key, field]) =>
    key in raw ? unsetFields(field as z.ZodType, (raw as Record<string, unknown>)[key], [...path, key]) : [[...path, key].join('.')],
  );
}

describe('the templates the linters check', () => {
  it('are every team config under pipelines/teams/, the example team on EKS, and the team with every optional feature', () => {
    const teams = readdirSync(TEAMS_DIR).filter((file) => file.endsWith('.json'));
    const targets = lintTargets();
    expect(targets.map((t) => t.label)).toEqual([...teams.sort().map((file) => `Mlops-${file.replace(/\.json$/, '')}`), 'Mlops-fraud (EKS tier)', 'Mlops-all-features']);
    expect(targets.find((t) => t.label.endsWith('(EKS tier)'))?.config.inference.kind).toBe('eks');
  });

  it('include a team that sets every optional field of the team config', () => {
    const raw = JSON.parse(readFileSync(ALL_FEATURES_TEAM, 'utf8')) as unknown;
    expect(unsetFields(teamConfigSchema, raw)).toEqual([
      // A concrete account makes synthesis look up its availability zones, which needs AWS credentials.
      'env',
      // The built-in trainer's algorithm, ignored with a training container.
      'training.algorithm',
      // A container is built from a directory or pulled by URI, never both: training builds one, processing pulls one
      // (its Dockerfile name goes with a directory, and AWS Batch cannot override an image's entry point).
      'training.container.imageUri',
      // Shards need the built-in processing image, and this team pulls its own.
      'training.processing.shards',
      'training.processing.container.directory',
      'training.processing.container.dockerfile',
      'training.processing.container.entryPoint',
      // Measures of other tasks: a multiclass model's quality is accuracy and log loss.
      'quality.thresholds.auc',
      'quality.thresholds.rmse',
      'quality.thresholds.mae',
    ]);
  });
});
