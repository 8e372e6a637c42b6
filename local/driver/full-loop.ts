import { replayRows, shiftNumericFeatures } from './holdout-replay';
import { type LoopSession, LoopStepError, type TrafficResult, type VersionSummary, waitFor } from './loop-session';
import type { Stop } from './options';
import type { TeamDataset } from './team-dataset';

export interface LoopStep {
  readonly name: string;
  readonly seconds: number;
  readonly detail: string;
}

export interface LoopResult {
  readonly steps: LoopStep[];
  readonly trainedVersion: number;
  deployedVersion?: number;
  aliasVersion?: string;
  /** Alarms that went into ALARM once the drifted traffic started (an alarm may be back to OK when retraining starts). */
  alarmsRaised?: string[];
  retrainExecution?: string;
  pendingVersion?: number;
  /** Inference requests sent to the function URL. */
  requestsSent?: number;
}

export interface LoopOptions {
  readonly until: Exclude<Stop, 'console'>;
  /** The team's data (team-dataset.ts). */
  readonly dataset: TeamDataset;
  /** Drifted traffic moves each numeric feature by this many holdout standard deviations. */
  readonly driftShift: number;
  readonly report: (line: string) => void;
}

const MINUTES = 60_000;
/** Instances of normal traffic replayed from the holdout set. */
const NORMAL_INSTANCES = 600;

/**
 * The headless loop: train -> register -> approve -> deploy (holdout parity, canary, bake, alarm check) ->
 * traffic -> drift -> alarm -> retraining -> a new version pending approval. Each step waits for what the platform
 * does on its own (pipelines, rules, alarms, the drift schedule) and fails naming the step that did not happen.
 * Traffic is the deployed version's holdout set replayed, then a copy with its numeric features shifted, so the
 * loop works for any team's model and data.
 */
export async function runLoop(session: LoopSession, options: LoopOptions): Promise<LoopResult> {
  const started = Date.now();
  const steps: LoopStep[] = [];
  let last = started;
  const step = (name: string, detail: string) => {
    const now = Date.now();
    steps.push({ name, seconds: (now - last) / 1000, detail });
    options.report(`[${((now - started) / 1000).toFixed(1).padStart(6)}s] ${name}: ${detail}`);
    last = now;
  };

  const initial = options.dataset.initial();
  step('dataset', `${initial.summary} -> ${await session.uploadInitialData(initial)}`);

  const trainingArn = await session.requestTraining('npm start');
  const training = await session.waitForExecution('train', trainingArn, 15 * MINUTES);
  const trained = await newestVersion(session, 'register', (v) => v.status === 'pending_approval' || v.status === 'approved');
  step('train', `execution ${training.name} SUCCEEDED; version ${trained.version} ${trained.status} (${trained.primaryMetric} ${trained.primaryMetricValue?.toFixed(4)})`);
  const result: LoopResult = { steps, trainedVersion: trained.version };
  if (options.until === 'trained') return result;

  const approvedAt = Date.now();
  if (trained.status === 'pending_approval') await session.approve(trained.version, 'approved by npm start --auto-approve');
  step('approve', `version ${trained.version} approved through the approval API`);

  const deployment = await waitFor('deploy', 5 * MINUTES, () => session.executionsOf('DeploymentStateMachineArn', approvedAt)[0]);
  await session.waitForExecution('deploy', deployment.executionArn, 10 * MINUTES);
  const live = await session.waitForVersion('deploy', (v) => v.version === trained.version && v.status === 'live', MINUTES);
  result.deployedVersion = live.version;
  result.aliasVersion = session.liveAlias().version;
  step('deploy', `execution ${deployment.name} SUCCEEDED; version ${live.version} live, alias -> function version ${result.aliasVersion}`);
  if (options.until === 'deployed') return result;

  const holdout = await session.holdout(live.version);
  const normal = await session.sendTraffic(replayRows(holdout.rows, NORMAL_INSTANCES));
  requireDelivered('traffic', normal);
  step('traffic', `${normal.requests} requests of normal traffic (${NORMAL_INSTANCES} instances replayed from the ${holdout.rows.length} holdout rows of version ${live.version})`);

  const driftStarted = Date.now();
  const raised = new Set<string>();
  const stopWatchingAlarms = session.twin.alarms.onStateChange((alarm, state) => {
    if (state.value === 'ALARM') raised.add(alarm.name);
  });
  try {
    const shifted = shiftNumericFeatures(holdout, options.driftShift);
    const newData = options.dataset.drifted(shifted, stamp());
    const newDataUri = await session.uploadDataset(newData);
    // Drifted traffic must outweigh what the capture window already holds (normal traffic and the holdout check's
    // requests), as a real shift in production traffic would.
    const driftedInstances = Math.max(4000, 2 * (holdout.rows.length + NORMAL_INSTANCES));
    const drifted = await session.sendTraffic(replayRows(shifted.rows, driftedInstances));
    requireDelivered('drift', drifted);
    result.requestsSent = normal.requests + drifted.requests;
    step(
      'drift',
      `${drifted.requests} requests of drifted traffic (${driftedInstances} holdout instances, numeric features moved by ${options.driftShift} standard deviations); ` +
        `new labelled data for retraining: ${newData.summary} -> ${newDataUri}`,
    );

    const retraining = await waitFor('alarm -> retraining', 10 * MINUTES, () =>
      session.executionsOf('TrainingStateMachineArn', driftStarted).find((e) => e.executionArn !== trainingArn),
    );
    result.alarmsRaised = [...raised];
    result.retrainExecution = retraining.name;
    const shown = result.alarmsRaised.slice(0, 3).join(', ') + (result.alarmsRaised.length > 3 ? ` and ${result.alarmsRaised.length - 3} more` : '');
    step('alarm', `went into ALARM: ${shown || '(none)'}; retraining execution ${retraining.name} started`);

    await session.waitForExecution('retrain', retraining.executionArn, 15 * MINUTES);
    const pending = await session.waitForVersion('retrain', (v) => v.version > trained.version && v.status === 'pending_approval', MINUTES);
    result.pendingVersion = pending.version;
    step('retrain', `execution ${retraining.name} SUCCEEDED; version ${pending.version} pending_approval`);
  } finally {
    stopWatchingAlarms();
  }
  return result;
}

/** Inference requests that failed stop the loop, naming how many and the first response. */
function requireDelivered(step: string, traffic: TrafficResult): void {
  if (traffic.failures) throw new LoopStepError(step, `${traffic.failures} of ${traffic.requests} inference requests failed, the first with ${traffic.firstFailure}`);
}

async function newestVersion(session: LoopSession, step: string, predicate: (v: VersionSummary) => boolean): Promise<VersionSummary> {
  const versions = (await session.versions()).filter(predicate).sort((a, b) => b.version - a.version);
  if (!versions.length) throw new LoopStepError(step, 'the training run registered no version');
  return versions[0];
}

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
