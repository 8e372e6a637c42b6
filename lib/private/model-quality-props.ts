import { QUALITY_MEASURES, type QualityMeasure } from '../../contracts/ground-truth';
import type { TeamConfig } from '../../contracts/team-config';
import type { ModelQualityProps } from '../model-quality';

/** What the team stack gives ModelQuality besides its config: the resources it watches and acts on. */
type StackParts = Pick<ModelQualityProps, 'registry' | 'artifactStore' | 'trainingPipeline' | 'metricsNamespace' | 'alarmActions'>;

/**
 * ModelQuality's props from a team config: the `quality` section, the model, the drift section's retrain cooldown
 * (one cooldown for both), and when the config sets no thresholds, a Critical alarm at the evaluation gate's
 * threshold on its primary metric (when the quality job measures that metric): a live model that would no longer pass
 * the gate it was approved through is retrained.
 */
export function modelQualityProps(config: TeamConfig, parts: StackParts): ModelQualityProps {
  const { quality, model, evaluation, inference } = config;
  return {
    ...parts,
    team: config.team,
    modelName: model.name,
    task: model.task,
    classes: model.classes,
    featureNames: model.features.map((f) => f.name),
    labelColumn: model.label,
    trainingDatasetPrefix: quality.addLabelledRowsToTraining ? datasetPrefixInStore(config.training.datasetUri) : undefined,
    schedule: quality.schedule,
    windowHours: quality.windowHours,
    minLabelled: quality.minLabelled,
    thresholds: quality.thresholds ?? gateThresholds(model.task, evaluation.primaryMetric, evaluation.threshold),
    retrainCooldownHours: config.drift.retrainCooldownHours,
    servedVersion: inference.kind === 'eks' ? inference.modelVersion : undefined,
  };
}

function gateThresholds(task: TeamConfig['model']['task'], primaryMetric: string, threshold: number): ModelQualityProps['thresholds'] {
  const measured: readonly string[] = QUALITY_MEASURES[task];
  return measured.includes(primaryMetric) ? { [primaryMetric as QualityMeasure]: { critical: threshold } } : {};
}

/**
 * The dataset's key prefix in the artifact store, where labelled rows can be added beside the data the processing
 * job reads; none for one data file or a dataset in another bucket (an s3:// URI), which the stack may not write.
 */
function datasetPrefixInStore(datasetUri: string): string | undefined {
  if (datasetUri.startsWith('s3://') || /\.(csv|parquet)$/i.test(datasetUri)) return undefined;
  return datasetUri.endsWith('/') ? datasetUri : `${datasetUri}/`;
}
