import type { TeamConfigInput } from '../../../contracts/team-config';
import { describe, expect, it } from 'vitest';
import { modelQualityProps } from '../../../lib/private/model-quality-props';
import { exampleConfig, eksExampleConfig } from '../../helpers/synth';
import { regressionConfig } from '../monitoring/team-fixture';

// The stack parts are passed through untouched; these tests read what comes from the config.
const parts = {} as Parameters<typeof modelQualityProps>[1];

describe('modelQualityProps', () => {
  it("alarms Critical at the gate's threshold on its primary metric when the config sets no thresholds", () => {
    const config = exampleConfig();
    expect(config.evaluation).toMatchObject({ primaryMetric: 'auc', threshold: 0.8 });
    expect(modelQualityProps(config, parts)).toMatchObject({
      thresholds: { auc: { critical: 0.8 } },
      trainingDatasetPrefix: 'datasets/card-fraud/',
      retrainCooldownHours: config.drift.retrainCooldownHours,
      windowHours: 168,
      minLabelled: 100,
      servedVersion: undefined,
    });
  });

  it('sets no default alarm for a primary metric the quality job does not measure (macroF1, f1)', () => {
    const base = exampleConfig();
    const config = exampleConfig({ evaluation: { ...base.evaluation, primaryMetric: 'f1', threshold: 0.5 } as TeamConfigInput['evaluation'] });
    expect(modelQualityProps(config, parts).thresholds).toEqual({});
  });

  it("takes the config's thresholds as they are, and a regressor's gate on RMSE", () => {
    const base = exampleConfig();
    const config = exampleConfig({ quality: { thresholds: { logLoss: { warning: 0.4, critical: 0.6 } } } as TeamConfigInput['quality'] });
    expect(modelQualityProps(config, parts).thresholds).toEqual({ logLoss: { warning: 0.4, critical: 0.6 } });
    expect(base.quality.thresholds).toBeUndefined();
    const regression = regressionConfig();
    expect(modelQualityProps(regression, parts).thresholds).toEqual({ [regression.evaluation.primaryMetric]: { critical: regression.evaluation.threshold } });
  });

  it.each([
    ['s3://other-bucket/data/', undefined],
    // Any s3:// URI, even one naming the artifact store's own bucket (whose name the config cannot know).
    ['s3://mlops-fraud-artifacts/datasets/card-fraud/', undefined],
    ['datasets/card-fraud/transactions.csv', undefined],
    ['datasets/card-fraud', 'datasets/card-fraud/'],
  ])('adds labelled rows under a key prefix in the store only: datasetUri %s -> %s', (datasetUri, prefix) => {
    const base = exampleConfig();
    const config = exampleConfig({ training: { ...base.training, datasetUri } as TeamConfigInput['training'] });
    expect(modelQualityProps(config, parts).trainingDatasetPrefix).toBe(prefix);
  });

  it('adds none when addLabelledRowsToTraining is off, and watches the pinned version on EKS', () => {
    const off = exampleConfig({ quality: { addLabelledRowsToTraining: false } as TeamConfigInput['quality'] });
    expect(modelQualityProps(off, parts).trainingDatasetPrefix).toBeUndefined();
    expect(modelQualityProps(eksExampleConfig(), parts).servedVersion).toBe(3);
  });
});
