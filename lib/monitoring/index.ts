export * from './alarm-actions';
export * from './alarms';
export * from './capture-stream';
export * from './inference-monitoring';
export * from './metric-factory';
export * from './operations-alarms';
export * from './thresholds';
export * from './widgets';
