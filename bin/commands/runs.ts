import type { StartedRun } from '../../lambdas/registry/training-runs';
import { type CliIo, UsageError } from './cli-io';
import { approvalApiOf, parse, reportError } from './models';

export const RUNS_USAGE = `usage: mlops runs <command> [options]
  start <model> --reason TEXT [--dataset s3://...]
                      start the training pipeline through the approval API (the developer role); the version the run
                      registers names you as its registrant, so another approver must approve it
options: --json  machine-readable output
         --outputs cdk-outputs.json --region <region> [--stack <name>]  a deployed stack (default: the local twin)
         --twin <file>  the twin's state file (default .local/twin.json)`;

/** `mlops runs ...`: returns the exit code (0 ok, 1 refused or failed, 2 bad usage). */
export async function run(args: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'start':
        return await start(rest, io);
      case undefined:
      case 'help':
      case '--help':
        io.stdout(RUNS_USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "runs ${command}"; try: mlops runs help`);
    }
  } catch (err) {
    return reportError(err, io);
  }
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
