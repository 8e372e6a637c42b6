import { join } from 'node:path';

/**
 * Where the SageMaker training container contract puts things. In a training job every path is the default
 * under /opt/ml; run locally (tests, the local twin) either set SM_ROOT to a directory laid out like /opt/ml,
 * or point the individual SM_* variables anywhere.
 *
 *   SM_ROOT                 default /opt/ml
 *   SM_CHANNEL_<NAME>       default <root>/input/data/<name>        (e.g. SM_CHANNEL_TRAIN)
 *   SM_INPUT_CONFIG_DIR     default <root>/input/config             (hyperparameters.json)
 *   SM_MODEL_DIR            default <root>/model                    (model.onnx, metadata.json; tarred by SageMaker)
 *   SM_OUTPUT_DIR           default <root>/output                   (failure: the reason a job failed)
 *   SM_OUTPUT_DATA_DIR      default <root>/output/data              (training-report.json)
 */
export interface SageMakerPaths {
  channel(name: string): string;
  hyperparametersFile: string;
  modelDir: string;
  failureFile: string;
  outputDataDir: string;
}

export function sageMakerPaths(env: NodeJS.ProcessEnv = process.env): SageMakerPaths {
  const root = env.SM_ROOT || '/opt/ml';
  const outputDir = env.SM_OUTPUT_DIR || join(root, 'output');
  return {
    channel: (name) => env[`SM_CHANNEL_${name.toUpperCase()}`] || join(root, 'input', 'data', name),
    hyperparametersFile: join(env.SM_INPUT_CONFIG_DIR || join(root, 'input', 'config'), 'hyperparameters.json'),
    modelDir: env.SM_MODEL_DIR || join(root, 'model'),
    failureFile: join(outputDir, 'failure'),
    outputDataDir: env.SM_OUTPUT_DATA_DIR || join(outputDir, 'data'),
  };
}
