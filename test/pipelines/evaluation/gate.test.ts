import { describe, expect, it } from 'vitest';
import { decide, evaluationConfigSchema } from '../../../pipelines/evaluation/gate';

const auc = evaluationConfigSchema.parse({ task: 'binary-classification', primaryMetric: 'auc', threshold: 0.8, championMargin: 0.002, autoApprove: true });
const rmse = evaluationConfigSchema.parse({ task: 'regression', primaryMetric: 'rmse', threshold: 2, championMargin: 0.1, autoApprove: true });

describe('evaluation gate', () => {
  it('passes a model at or above the threshold and approves it when nothing is live', () => {
    const decision = decide(auc, { auc: 0.8 }, null);
    expect(decision.gate).toEqual({ passed: true, reason: 'holdout auc 0.8 meets the threshold >= 0.8; no live version to compare with' });
    expect(decision.approve).toBe(true);
  });

  it('fails a model below the threshold and does not approve it', () => {
    const decision = decide(auc, { auc: 0.79 }, null);
    expect(decision.gate.passed).toBe(false);
    expect(decision.gate.reason).toMatch(/^holdout auc 0.79 misses the threshold >= 0.8/);
    expect(decision.approve).toBe(false);
  });

  it('approves a challenger that beats the champion by the margin (float noise aside)', () => {
    const decision = decide(auc, { auc: 0.862 }, { version: 3, metric: 0.86 });
    expect(decision.beatsChampion).toBe(true);
    expect(decision.approve).toBe(true);
    expect(decision.gate.reason).toContain('beats live version 3 (0.86) by the margin 0.002');
  });

  it('does not auto-approve a challenger that is better by less than the margin', () => {
    const decision = decide(auc, { auc: 0.861 }, { version: 3, metric: 0.86 });
    expect(decision.gate.passed).toBe(true);
    expect(decision.beatsChampion).toBe(false);
    expect(decision.approve).toBe(false);
    expect(decision.gate.reason).toContain('does not beat live version 3');
  });

  it('uses the lower-is-better direction for error metrics', () => {
    expect(decide(rmse, { rmse: 1.5 }, { version: 1, metric: 1.7 }).approve).toBe(true);
    expect(decide(rmse, { rmse: 1.65 }, { version: 1, metric: 1.7 }).approve).toBe(false);
    expect(decide(rmse, { rmse: 2.5 }, null).gate.passed).toBe(false);
  });

  it('never approves when the team turned auto-approval off', () => {
    expect(decide({ ...auc, autoApprove: false }, { auc: 0.95 }, null).approve).toBe(false);
  });

  it('names a primary metric the holdout metrics lack', () => {
    expect(() => decide(auc, { rmse: 1 }, null)).toThrow(/holdout metrics have no "auc"/);
  });
});

describe('evaluation gate for a multiclass model', () => {
  const classes = ['bearing', 'imbalance', 'normal'];
  const logLoss = evaluationConfigSchema.parse({ task: 'multiclass-classification', classes, primaryMetric: 'logLoss', threshold: 0.6, championMargin: 0.01, autoApprove: true });

  it('accepts the multiclass metrics as the primary metric', () => {
    for (const primaryMetric of ['accuracy', 'macroF1', 'logLoss', 'macroAuc']) {
      expect(evaluationConfigSchema.safeParse({ task: 'multiclass-classification', classes, primaryMetric, threshold: 0.5 }).success).toBe(true);
    }
  });

  it('refuses a metric of another task, naming the ones of this task', () => {
    const result = evaluationConfigSchema.safeParse({ task: 'multiclass-classification', classes, primaryMetric: 'auc', threshold: 0.8 });
    expect(result.error?.issues[0]).toMatchObject({ path: ['primaryMetric'], message: 'a multiclass-classification model is measured by accuracy, macroF1, logLoss, macroAuc, got "auc"' });
  });

  it('needs the classes of a multiclass model, and only of one', () => {
    expect(evaluationConfigSchema.safeParse({ task: 'multiclass-classification', primaryMetric: 'accuracy', threshold: 0.8 }).error?.issues[0].path).toEqual(['classes']);
    expect(evaluationConfigSchema.safeParse({ task: 'binary-classification', classes, primaryMetric: 'auc', threshold: 0.8 }).error?.issues[0].path).toEqual(['classes']);
  });

  it('compares log loss with the champion as lower-is-better', () => {
    const better = decide(logLoss, { accuracy: 0.8, macroF1: 0.78, logLoss: 0.45, macroAuc: 0.93 }, { version: 2, metric: 0.5 });
    expect(better.gate.reason).toBe('holdout logLoss 0.45 meets the threshold <= 0.6; beats live version 2 (0.5) by the margin 0.01');
    expect(better.approve).toBe(true);
    expect(decide(logLoss, { logLoss: 0.495 }, { version: 2, metric: 0.5 }).approve).toBe(false);
    expect(decide(logLoss, { logLoss: 0.65 }, null).gate.passed).toBe(false);
  });

  it('compares macro AUC as higher-is-better', () => {
    const macroAuc = { ...logLoss, primaryMetric: 'macroAuc', threshold: 0.9 };
    expect(decide(macroAuc, { macroAuc: 0.93 }, { version: 2, metric: 0.91 }).approve).toBe(true);
    expect(decide(macroAuc, { macroAuc: 0.93 }, { version: 2, metric: 0.925 }).approve).toBe(false);
  });
});
