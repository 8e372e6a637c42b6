import type { AbortResult } from '../../lambdas/deployment/deployment-control';
import type { CliIo } from './cli-io';
import { commandGroup, TARGET_USAGE } from './command-group';
import { approvalApiOf, connectFor, parse, requireComment } from './models';

/** Help text of `mlops deployments`. */
const DEPLOYMENTS_USAGE = `usage: mlops deployments <command> [options]
  abort <model> --comment TEXT      stop the deployment in progress (its execution is stopped, the version is rolled
                                    back, the alias serves the live version alone); the next approval deploys
${TARGET_USAGE}`;

/** `mlops deployments ...`: returns the exit code (0 ok, 1 refused or failed, 2 bad usage). */
export const run = commandGroup('deployments', DEPLOYMENTS_USAGE, {
  abort: (args, io) => abort(args, io),
});

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
