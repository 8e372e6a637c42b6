import { mkdirSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { TrainingChannel, TrainingJobRequest } from './training-job-request';

/** Where the container contract puts things; the twin gives each host a directory laid out like it (SM_ROOT). */
const SAGEMAKER_ROOT = '/opt/ml';

/** One instance of a training job: a process with its own /opt/ml stand-in. */
export interface TrainingHost {
  /** algo-1 .. algo-N, as SageMaker names a job's hosts. */
  readonly name: string;
  readonly root: string;
  readonly modelDir: string;
  /** SM_OUTPUT_DATA_DIR: what the job leaves beside the model (reports, the fitted estimator); SageMaker keeps it as output.tar.gz. */
  readonly outputDataDir: string;
  readonly failureFile: string;
  /** Where the container finds and leaves checkpoints (CheckpointConfig.LocalPath under the root), when configured. */
  readonly checkpointDir: string | undefined;
  channelDir(channel: string): string;
}

/** `hosts` names for InstanceCount instances. */
export function hostNames(instanceCount: number): string[] {
  return Array.from({ length: instanceCount }, (_, i) => `algo-${i + 1}`);
}

/**
 * CheckpointConfig.LocalPath as a path below a host's root. The container sees /opt/ml at SM_ROOT, so only a path
 * under /opt/ml can be relocated; undefined for any other path.
 */
export function checkpointPathBelowRoot(localPath: string): string | undefined {
  const normalized = posix.normalize(localPath);
  if (normalized === SAGEMAKER_ROOT) return '';
  return normalized.startsWith(`${SAGEMAKER_ROOT}/`) ? normalized.slice(SAGEMAKER_ROOT.length + 1) : undefined;
}

/** Creates a host's directory: input/config files, empty model, output/data and checkpoint directories. */
export function layOutHost(jobDirectory: string, name: string, hosts: readonly string[], request: TrainingJobRequest, checkpointBelowRoot: string | undefined): TrainingHost {
  const root = join(jobDirectory, name);
  const host: TrainingHost = {
    name,
    root,
    modelDir: join(root, 'model'),
    outputDataDir: join(root, 'output', 'data'),
    failureFile: join(root, 'output', 'failure'),
    checkpointDir: checkpointBelowRoot === undefined ? undefined : join(root, checkpointBelowRoot),
    channelDir: (channel) => join(root, 'input', 'data', channel),
  };
  const configDir = join(root, 'input', 'config');
  for (const dir of [configDir, host.modelDir, host.outputDataDir, ...(host.checkpointDir ? [host.checkpointDir] : [])]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(configDir, 'hyperparameters.json'), JSON.stringify(request.HyperParameters));
  writeFileSync(
    join(configDir, 'resourceconfig.json'),
    JSON.stringify({
      current_host: name,
      current_instance_type: request.ResourceConfig.InstanceType,
      current_group_name: 'homogeneousCluster',
      hosts,
      instance_groups: [{ instance_group_name: 'homogeneousCluster', instance_type: request.ResourceConfig.InstanceType, hosts }],
      network_interface_name: 'eth0',
    }),
  );
  writeFileSync(join(configDir, 'inputdataconfig.json'), JSON.stringify(Object.fromEntries(request.InputDataConfig.map((c) => [c.ChannelName, inputDataConfigEntry(c)]))));
  return host;
}

function inputDataConfigEntry(channel: TrainingChannel): Record<string, unknown> {
  return {
    ContentType: channel.ContentType,
    TrainingInputMode: 'File',
    S3DistributionType: channel.DataSource.S3DataSource.S3DataDistributionType,
    RecordWrapperType: 'None',
  };
}

/**
 * The SM_* variables of SageMaker's training toolkit for one host, plus SM_ROOT (the /opt/ml stand-in the twin adds).
 * The container contract reads paths from these when set and from /opt/ml otherwise.
 */
export function hostEnvironment(host: TrainingHost, hosts: readonly string[], request: TrainingJobRequest): Record<string, string> {
  const channels = request.InputDataConfig.map((c) => c.ChannelName);
  return {
    TRAINING_JOB_NAME: request.TrainingJobName,
    SM_ROOT: host.root,
    SM_MODEL_DIR: host.modelDir,
    SM_INPUT_DIR: join(host.root, 'input'),
    SM_INPUT_CONFIG_DIR: join(host.root, 'input', 'config'),
    SM_OUTPUT_DIR: join(host.root, 'output'),
    SM_OUTPUT_DATA_DIR: join(host.root, 'output', 'data'),
    SM_CHANNELS: JSON.stringify(channels),
    SM_HPS: JSON.stringify(request.HyperParameters),
    SM_CURRENT_HOST: host.name,
    SM_HOSTS: JSON.stringify(hosts),
    SM_CURRENT_INSTANCE_TYPE: request.ResourceConfig.InstanceType,
    ...Object.fromEntries(channels.map((c) => [`SM_CHANNEL_${c.toUpperCase()}`, host.channelDir(c)])),
  };
}
