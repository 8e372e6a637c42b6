import type { StartedRun } from '../../lambdas/registry/training-runs';
import { type CliIo, formatTable, UsageError } from './cli-io';
import { commandGroup, TARGET_USAGE } from './command-group';
import { approvalApiOf, connectFor, parse } from './models';

/** Help text of `mlops runs`. */
const RUNS_USAGE = `usage: mlops runs <command> [options]
  list <model>        the model's recorded training runs, newest first: each run that registered a version, and each
                      that failed with its error and why (read from the registry)
  start <model> --reason TEXT [--dataset s3://...]
                      start the training pipeline through the approval API (the developer role); the version the run
                      registers names you as its registrant, so another approver must approve it
${TARGET_USAGE}`;

/** `mlops runs ...`: returns the exit code (0 ok, 1 refused or failed, 2 bad usage). */
export const run = commandGroup('runs', RUNS_USAGE, {
  list: (args, io) => list(args, io),
  start: (args, io) => start(args, io),
});

async function list(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {}, 1);
  const [model] = positionals;
  const { registry } = await connectFor(model, values);
  const runs = await registry.listRuns(model);
  if (values.json) {
    io.stdout(JSON.stringify({ model, runs }, null, 2));
    return 0;
  }
  if (runs.length === 0) {
    io.stdout(`${model}: no training runs recorded yet`);
    return 0;
  }
  const outcome = (r: (typeof runs)[number]) => (r.status === 'failed' ? `${r.error ?? 'failed'}: ${r.reason ?? r.cause ?? ''}` : `registered v${r.version}`);
  io.stdout(formatTable(['EXECUTION', 'STATUS', 'AT', 'OUTCOME'], runs.map((r) => [r.executionName, r.status, r.at, outcome(r)])));
  return 0;
}

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
