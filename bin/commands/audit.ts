import type { CliIo } from './cli-io';
import { commandGroup, TARGET_USAGE } from './command-group';
import { connectFor, parse } from './models';

/** Help text of `mlops audit`. */
const AUDIT_USAGE = `usage: mlops audit <command> [options]
  verify <model>      check the model's audit trail: every row's hash, its link to the row before, no gaps, and the
                      chain head the model records; reports the first broken link (exit 1) or "intact" (exit 0)
${TARGET_USAGE}`;

/** `mlops audit ...`: returns the exit code (0 intact, 1 broken or failed, 2 bad usage). */
export const run = commandGroup('audit', AUDIT_USAGE, {
  verify: (args, io) => verify(args, io),
});

/**
 * Reads the rows straight from the registry table with the caller's own (read) credentials, not through the approval
 * API: a check of the trail should not depend on the code that writes it.
 */
async function verify(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {}, 1);
  const [model] = positionals;
  const { registry } = await connectFor(model, values);
  const verdict = await registry.verifyAudit(model);
  if (values.json) {
    io.stdout(JSON.stringify({ model, ...verdict }, null, 2));
    return verdict.ok ? 0 : 1;
  }
  if (verdict.ok) {
    io.stdout(`${model}: audit trail intact, ${verdict.rows} rows${verdict.head ? `, head ${verdict.head.hash}` : ''}`);
    return 0;
  }
  io.stdout(`${model}: audit trail BROKEN at row ${verdict.brokenAt} of ${verdict.rows}: ${verdict.problem}`);
  return 1;
}
