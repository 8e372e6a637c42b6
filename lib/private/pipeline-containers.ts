import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Token } from 'aws-cdk-lib';
import { TRAINING_PIPELINE_SPEC } from '../../contracts/training-pipeline-spec';
import type { ContainerSpec } from '../../contracts/team-config';
import { containerDirectory, ecrRepositoryOf } from './pipeline-image';

/**
 * What the training pipeline requires of a team's containers beyond the config schema, checked at synth time so a
 * mistake fails `cdk synth` with the config field, not `cdk deploy` or a pipeline run an hour later.
 * Each problem is a `<field>: <problem>` line; docs/container-contract.md explains the rules.
 */

/** Problems of `training.container`: SageMaker runs it. */
export function trainingContainerProblems(spec: ContainerSpec): string[] {
  const field = 'training.container';
  const problems = buildProblems(spec, field);
  if (spec.imageUri !== undefined && !ecrRepositoryOf(spec.imageUri)) {
    problems.push(
      `${field}.imageUri: SageMaker trains with images from Amazon ECR (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>); push the image there, got "${spec.imageUri}"`,
    );
  }
  if (spec.command?.length && !spec.entryPoint) {
    problems.push(`${field}.command: needs ${field}.entryPoint; without one SageMaker starts the image's own entry point with the argument "train"`);
  }
  for (const name of Object.keys(spec.environment).filter((n) => n.startsWith('SM_'))) {
    problems.push(
      `${field}.environment.${name}: SM_* variables describe the job's /opt/ml layout; the local twin sets them itself, so the job would see one value locally and another on AWS`,
    );
  }
  return problems;
}

/**
 * Problems of `training.processing.container`: AWS Batch runs it on Fargate. In the pipeline's own network (no
 * `training.vpc`) the only way out is the VPC endpoints of Amazon ECR in the stack's region (`region`, unless unresolved).
 */
export function processingContainerProblems(spec: ContainerSpec, network: { ownNetwork: boolean; region?: string }): string[] {
  const field = 'training.processing.container';
  const problems = buildProblems(spec, field);
  const repository = spec.imageUri === undefined ? undefined : ecrRepositoryOf(spec.imageUri);
  const endpointRegion = network.region === undefined || Token.isUnresolved(network.region) ? undefined : network.region;
  if (spec.imageUri !== undefined && !network.ownNetwork && (!repository || (endpointRegion && repository.region !== endpointRegion))) {
    problems.push(
      `${field}.imageUri: the processing job's network has no internet route, only endpoints for Amazon ECR in ${endpointRegion ?? 'the stack\'s region'}; push the image there or give training.vpc, got "${spec.imageUri}"`,
    );
  }
  if (spec.entryPoint) {
    problems.push(`${field}.entryPoint: AWS Batch cannot override an image's ENTRYPOINT; set it in the Dockerfile and give its arguments as command`);
  }
  const platformVariables = Object.values(TRAINING_PIPELINE_SPEC.processing.environment) as string[];
  for (const name of Object.keys(spec.environment).filter((n) => platformVariables.includes(n))) {
    problems.push(`${field}.environment.${name}: is set by the pipeline for every run (docs/container-contract.md)`);
  }
  return problems;
}

/** A Dockerfile directory must exist, relative to the directory of cdk.json, with its Dockerfile in it. */
function buildProblems(spec: ContainerSpec, field: string): string[] {
  if (spec.directory === undefined) return [];
  const directory = containerDirectory(spec.directory);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    return [`${field}.directory: "${spec.directory}" is not a directory (looked for ${directory}; the path is relative to the directory of cdk.json)`];
  }
  if (!existsSync(join(directory, spec.dockerfile))) {
    return [`${field}.directory: "${spec.directory}" has no ${spec.dockerfile} (looked for ${join(directory, spec.dockerfile)})`];
  }
  return [];
}
