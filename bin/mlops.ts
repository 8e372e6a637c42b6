#!/usr/bin/env -S npx tsx
import { type CliIo, UsageError } from './commands/cli-io';
import { reportError } from './commands/command-group';

/** Each command group lives in bin/commands/<name>.ts and exports `run(args, io)`, returning the exit code. */
interface CommandModule {
  run(args: string[], io: CliIo, command: string): Promise<number>;
}
const COMMANDS = ['models', 'runs', 'deployments', 'score', 'drift', 'audit', 'events', 'login', 'logout'] as const;

const USAGE = `usage: mlops <command> ...
  models list|show|register|approve|reject|rollback|shadow
                                                      the model registry (mlops models help)
  runs list|start <model>                             recorded training runs; start one as yourself (mlops runs help)
  deployments abort                                   the deployment in progress (mlops deployments help)
  score --input s3://... --output s3://...            batch scoring of a CSV or Parquet dataset (mlops score help)
  drift ...                                           drift reports (mlops drift help)
  audit verify <model>                                check the audit trail's hash chain (mlops audit help)
  events replay <model>                               republish registry events from the audit trail (mlops events help)
  login [--user EMAIL] | logout                       sign in to the approval API, which every write goes through
By default mlops talks to the local twin (.local/twin.json); add --outputs cdk-outputs.json --region <region>
to talk to a deployed stack.`;

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === 'help' || command === '--help') {
    io.stdout(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (!(COMMANDS as readonly string[]).includes(command)) return reportError(new UsageError(`unknown command "${command}"; try: mlops help`), io);
  // Loaded by name so one command group's dependencies do not slow down or break another's.
  const group = (await import(`./commands/${command === 'logout' ? 'login' : command}`)) as CommandModule;
  return group.run(args, io, command);
}

if (require.main === module) {
  const io: CliIo = { stdout: (s) => process.stdout.write(`${s}\n`), stderr: (s) => process.stderr.write(`${s}\n`) };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.exitCode = reportError(err, io);
    },
  );
}
