import { z } from 'zod';
import { ALL_METRICS, classLabelSchema, LOWER_IS_BETTER, METRICS_OF_TASK, MODEL_TASKS } from '../../contracts/team-config';
import type { Metrics } from './metrics';

/**
 * The evaluation gate: the challenger's holdout primary metric must clear the team's threshold, and to be
 * auto-approved it must also beat the live champion's recorded holdout metric by `championMargin`
 * (direction from LOWER_IS_BETTER). A challenger that passes the gate but not the champion comparison is still
 * registered, for a person to approve.
 */

/**
 * EVALUATION_CONFIG: the team config's `evaluation` section, the model task and, for a multiclass model, its
 * classes (`model.classes`), which the trained model's metadata.json must list in the same order.
 */
export const evaluationConfigSchema = z
  .object({
    task: z.enum(MODEL_TASKS),
    classes: z.array(classLabelSchema).min(3).optional(),
    primaryMetric: z.enum(ALL_METRICS),
    threshold: z.number(),
    championMargin: z.number().min(0).default(0),
    autoApprove: z.boolean().default(false),
  })
  .strict()
  .superRefine((config, ctx) => {
    const metrics = METRICS_OF_TASK[config.task];
    if (!metrics.includes(config.primaryMetric)) {
      ctx.addIssue({ code: 'custom', path: ['primaryMetric'], message: `a ${config.task} model is measured by ${metrics.join(', ')}, got "${config.primaryMetric}"` });
    }
    if ((config.task === 'multiclass-classification') !== (config.classes !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['classes'], message: 'the classes (model.classes) are given for a multiclass-classification model, and only for one' });
    }
  });
export type EvaluationConfig = z.output<typeof evaluationConfigSchema>;

export interface Champion {
  version: number;
  /** The champion's primary metric as recorded on holdout at its evaluation. */
  metric: number;
}

export interface GateDecision {
  gate: { passed: boolean; reason: string };
  champion: Champion | null;
  beatsChampion: boolean;
  approve: boolean;
}

/** Float noise allowance so that e.g. 0.862 - 0.860 counts as a 0.002 improvement. */
const EPSILON = 1e-12;

const fmt = (x: number) => Number(x.toPrecision(6)).toString();

export function decide(config: EvaluationConfig, holdout: Metrics, champion: Champion | null): GateDecision {
  const name = config.primaryMetric;
  const value = holdout[name];
  if (value === undefined) throw new RangeError(`holdout metrics have no "${name}" (have: ${Object.keys(holdout).join(', ')})`);
  const lowerIsBetter = LOWER_IS_BETTER.has(name);
  const passed = lowerIsBetter ? value <= config.threshold + EPSILON : value >= config.threshold - EPSILON;
  const threshold = `holdout ${name} ${fmt(value)} ${passed ? 'meets' : 'misses'} the threshold ${lowerIsBetter ? '<=' : '>='} ${fmt(config.threshold)}`;
  const improvement = champion ? (lowerIsBetter ? champion.metric - value : value - champion.metric) : Infinity;
  const beatsChampion = improvement >= config.championMargin - EPSILON;
  const comparison = champion
    ? `${beatsChampion ? 'beats' : 'does not beat'} live version ${champion.version} (${fmt(champion.metric)}) by the margin ${fmt(config.championMargin)}`
    : 'no live version to compare with';
  return {
    gate: { passed, reason: `${threshold}; ${comparison}` },
    champion,
    beatsChampion,
    approve: config.autoApprove && passed && beatsChampion,
  };
}
