export * from './artifact-store';
export * from './model-registry';
export * from './mlops-team-stack';
export * from './team-config';
