import type { AbortResult } from '../../lambdas/deployment/deployment-control';
import { type CliIo, UsageError } from './cli-io';
import { approvalApiOf, connectFor, parse, reportError, requireComment } from './models';

export const DEPLOYMENTS_USAGE = `usage: mlops deployments <command> [options]
  abort <model> --comment TEXT      stop the deployment in progress (its execution is stopped, the version is rolled
                                    back, the alias serves the live version alone); the next approval deploys
options: --json  machine-readable output
         --outputs cdk-outputs.json --region <region> [--stack <name>]  a deployed stack (default: the local twin)
         --twin <file>  the twin's state file (default .local/twin.json)`;

/** `mlops deployments ...`: returns the exit code (0 ok, 1 refused or failed, 2 bad usage). */
export async function run(args: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'abort':
        return await abort(rest, io);
      case undefined:
      case 'help':
      case '--help':
        io.stdout(DEPLOYMENTS_USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "deployments ${command}"; try: mlops deployments help`);
    }
  } catch (err) {
    return reportError(err, io);
  }
}

/** The approval API's abort route (the operator role), which stops the owning execution and releases it. */
async function abort(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { comment: { type: 'string' } }, 1);
  const comment = requireComment(values.comment, 'abort');
  const [model] = positionals;
  const api = await approvalApiOf(model, values);
  const result = await api.post<AbortResult>(`models/${encodeURIComponent(model)}/deployment/abort`, { comment });
  if (values.json) {
    io.stdout(JSON.stringify(result, null, 2));
    return 0;
  }
  const stopped = result.executionStatus === 'RUNNING' ? 'stopped' : `already ${result.executionStatus}`;
  const { registry } = await connectFor(model, values);
  const { status } = await registry.getVersion(model, result.version);
  // The abort and the execution's ABORTED event both release it; whichever came first moved the alias.
  const alias = result.released ? `the alias serves function version ${result.aliasFunctionVersion} alone` : "released by the execution's ABORTED event";
  io.stdout(`${model} v${result.version}: deployment aborted (execution ${result.execution} ${stopped}); v${result.version} ${status}, ${alias}`);
  return 0;
}
