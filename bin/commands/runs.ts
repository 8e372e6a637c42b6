import type { StartedRun } from '../../lambdas/registry/training-runs';
import { type CliIo, UsageError } from './cli-io';
import { commandGroup, TARGET_USAGE } from './command-group';
import { approvalApiOf, parse } from './models';

/** Help text of `mlops runs`. */
const RUNS_USAGE = `usage: mlops runs <command> [options]
  start <model> --reason TEXT [--dataset s3://...]
                      start the training pipeline through the approval API (the developer role); the version the run
                      registers names you as its registrant, so another approver must approve it
${TARGET_USAGE}`;

/** `mlops runs ...`: returns the exit code (0 ok, 1 refused or failed, 2 bad usage). */
export const run = commandGroup('runs', RUNS_USAGE, {
  start: (args, io) => start(args, io),
});

async function start(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { reason: { type: 'string' }, dataset: { type: 'string' } }, 1);
  if (!values.reason?.trim()) throw new UsageError('runs start needs --reason "<why>": it is the run record');
  const [model] = positionals;
  const api = await approvalApiOf(model, values);
  const started = await api.post<StartedRun>(`models/${encodeURIComponent(model)}/runs`, { reason: values.reason, ...(values.dataset && { datasetUri: values.dataset }) });
  if (values.json) io.stdout(JSON.stringify(started, null, 2));
  else io.stdout(`${model}: training run ${started.executionName} started (${started.executionArn})`);
  return 0;
}
