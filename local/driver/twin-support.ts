import type { TeamConfig } from '../../contracts/team-config';

/** A team config asks for something the local twin cannot run on one machine. */
export class UnsupportedOnTwinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedOnTwinError';
  }
}

/**
 * Refuses, before minutes of synth and with the field named, a team config `npm start` cannot run: the EKS inference
 * tier's pods need a Kubernetes cluster, which the twin does not have (its custom resources apply manifests through
 * kubectl). Without this the twin failed at start on the cluster's kubectl provider, with a stack trace.
 */
export function assertRunsOnTwin(team: string, config: TeamConfig): void {
  if (config.inference.kind !== 'eks') return;
  throw new UnsupportedOnTwinError(
    `team ${team}: inference.kind "eks" does not run on the local twin, whose services have no Kubernetes cluster for its ` +
      'pods. npm start runs the Lambda tier ("inference": { "kind": "lambda" }); the EKS tier\'s template is checked by ' +
      'cdk synth and npm run lint:templates, and its container\'s server by test/lambdas/inference/server.test.ts.',
  );
}
