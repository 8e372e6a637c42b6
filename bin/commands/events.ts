import type { ReplayOutcome } from '../../lambdas/registry/event-replay';
import type { CliIo } from './cli-io';
import { commandGroup, TARGET_USAGE } from './command-group';
import { approvalApiOf, parse } from './models';

/** Help text of `mlops events`. */
const EVENTS_USAGE = `usage: mlops events <command> [options]
  replay <model> [--version N] [--since ISO-8601]
                      republish the model's registry events from its audit trail, in order (a consumer that missed
                      them, or a registry event that could not be published); each event carries its audit row's id,
                      so consumers drop the ones they already handled. Needs the operator role.
${TARGET_USAGE}`;

/** `mlops events ...`: returns the exit code (0 all published, 1 refused or some not published, 2 bad usage). */
export const run = commandGroup('events', EVENTS_USAGE, {
  replay: (args, io) => replay(args, io),
});

/** Through the approval API's replay route, so the operator role and the API's event bus apply. */
async function replay(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { version: { type: 'string' }, since: { type: 'string' } }, 1);
  const [model] = positionals;
  const selection = {
    ...(values.version !== undefined && { version: Number(values.version) }),
    ...(values.since !== undefined && { since: values.since }),
  };
  const api = await approvalApiOf(model, values);
  const outcome = await api.post<ReplayOutcome>(`models/${encodeURIComponent(model)}/events/replay`, selection);
  const complete = outcome.failed === undefined && outcome.malformed.length === 0;
  if (values.json) {
    io.stdout(JSON.stringify(outcome, null, 2));
    return complete ? 0 : 1;
  }
  io.stdout(`${model}: republished ${outcome.published} of ${outcome.selected} registry events`);
  for (const row of outcome.malformed) io.stdout(`  row ${row.seq} (v${row.version}) cannot become an event: ${row.errorMessage}`);
  if (outcome.failed) {
    io.stdout(`  EventBridge refused row ${outcome.failed.seq} (v${outcome.failed.version}): ${outcome.failed.errorCode} ${outcome.failed.errorMessage}; ${outcome.notSent} later rows not sent; replay again`);
  }
  return complete ? 0 : 1;
}
