import { InvalidInputError } from '../../lambdas/registry/errors';
import { ApprovalApiError } from './approval-api-client';
import { type CliIo, UsageError } from './cli-io';

/** The options every command that talks to a stack takes, as its usage shows them. */
export const TARGET_USAGE = `options: --json  machine-readable output
         --outputs cdk-outputs.json --region <region> [--stack <name>]  a deployed stack (default: the local twin)
         --twin <file>  the twin's state file (default .local/twin.json)`;

type Command = (args: string[], io: CliIo, name: string) => Promise<number>;

/** A command given too few or too many arguments: its group's usage is where to look, which commandGroup adds. */
export class ArgumentCountError extends UsageError {}

/**
 * `mlops <group> <command> ...`: runs the named command, prints the usage for `help` (exit 0) or nothing (exit 2), and
 * turns every error into one line (exit 2 for bad usage, 1 otherwise).
 */
export function commandGroup(group: string, usage: string, commands: Record<string, Command>) {
  return async (args: string[], io: CliIo): Promise<number> => {
    const [name, ...rest] = args;
    try {
      if (name === undefined || name === 'help' || name === '--help') {
        io.stdout(usage);
        return name === undefined ? 2 : 0;
      }
      const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
      if (!command) throw new UsageError(`unknown command "${group} ${name}"; try: mlops ${group} help`);
      return await command(rest, io, name);
    } catch (err) {
      if (err instanceof ArgumentCountError) return reportError(new UsageError(`${err.message}; see mlops ${group} help`), io);
      return reportError(err, io);
    }
  };
}

/** One line per error, never a stack trace. A refusal of the approval API names its error code (e.g. ForbiddenError). */
export function reportError(err: unknown, io: CliIo): number {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ApprovalApiError) {
    io.stderr(`mlops: refused by the approval API (${err.status} ${err.code}): ${message}`);
    return err.status === 400 ? 2 : 1;
  }
  io.stderr(`mlops: ${message}`);
  return err instanceof UsageError || err instanceof InvalidInputError ? 2 : 1;
}
