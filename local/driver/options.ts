import { z } from 'zod';
import { DEFAULT_TWIN_STATE_FILE } from '../../contracts/twin-state-file';

/** Where `npm start` stops; `console` keeps running for the approval click. */
export const STOPS = ['trained', 'deployed', 'retrained', 'console'] as const;
export type Stop = (typeof STOPS)[number];

export const optionsSchema = z
  .object({
    autoApprove: z.boolean().default(false),
    until: z.enum(STOPS).optional(),
    timeScale: z.coerce.number().positive().max(100_000).optional(),
    port: z.coerce.number().int().min(0).max(65_535).default(4750),
    /** @default .local/data, or .local/headless (wiped first) for a headless run */
    dataDir: z.string().min(1).optional(),
    cdkOut: z.string().min(1).default('cdk.out'),
    /** The twin's state file, which `mlops` reads to find the twin; removed when the twin stops. */
    stateFile: z.string().min(1).default(DEFAULT_TWIN_STATE_FILE),
    team: z.string().min(1).optional(),
    /**
     * The team's own raw data, a .csv or .parquet file or a directory of them (checked on disk by team-dataset.ts); the
     * card-fraud generator is the example team's default only.
     */
    dataset: z.string().min(1).optional(),
    /** Drifted traffic moves each numeric feature by this many standard deviations of its holdout column. */
    driftShift: z.coerce.number().positive().max(100).default(2),
    rows: z.coerce.number().int().min(500).max(1_000_000).default(20_000),
    synth: z.boolean().default(true),
    fresh: z.boolean().default(false),
    verbose: z.boolean().default(false),
    faultDrills: z.boolean().default(false),
    traffic: z.boolean().default(true),
    /** Apply the (re)synthesized app to the twin already running (found through the state file), then exit. */
    update: z.boolean().default(false),
  })
  .strict();
export type DriverOptions = z.output<typeof optionsSchema>;

const FLAGS: Record<string, { key: keyof DriverOptions; boolean?: true }> = {
  '--auto-approve': { key: 'autoApprove', boolean: true },
  '--until': { key: 'until' },
  '--time-scale': { key: 'timeScale' },
  '--port': { key: 'port' },
  '--data-dir': { key: 'dataDir' },
  '--cdk-out': { key: 'cdkOut' },
  '--state-file': { key: 'stateFile' },
  '--team': { key: 'team' },
  '--dataset': { key: 'dataset' },
  '--drift-shift': { key: 'driftShift' },
  '--rows': { key: 'rows' },
  '--no-synth': { key: 'synth', boolean: true },
  '--fresh': { key: 'fresh', boolean: true },
  '--verbose': { key: 'verbose', boolean: true },
  '--fault-drills': { key: 'faultDrills', boolean: true },
  '--no-traffic': { key: 'traffic', boolean: true },
  '--update': { key: 'update', boolean: true },
};

/** Every flag parseOptions takes. */
export const FLAG_NAMES = Object.keys(FLAGS);

const USAGE = `usage: npm start -- [--auto-approve] [--until trained|deployed|retrained] [--time-scale N] [--port N]
                      [--data-dir DIR] [--cdk-out DIR] [--state-file FILE] [--team NAME] [--dataset FILE.csv|FILE.parquet|DIR] [--drift-shift K]
                      [--rows N] [--no-synth] [--fresh] [--verbose] [--fault-drills] [--no-traffic]
       npm start -- --update [--team NAME] [--no-synth] [--cdk-out DIR] [--state-file FILE]`;

/** `npm start -- --help`: the synopsis and what each option does (test/local/driver.test.ts holds it to FLAG_NAMES). */
export const HELP = `${USAGE}

Synthesizes the team stack and runs it on this machine (the local twin): the training pipeline on the team's data,
then, through the console's approve button or --auto-approve, deployment, traffic, drift and retraining.

  --team NAME          the team config pipelines/teams/NAME.json (default: cdk.json's context "team")
  --dataset PATH       the team's own data: a .csv or .parquet file, or a directory of them (uploaded at their paths);
                       without it, only the example team runs, on generated card transactions
  --rows N             rows of generated example data (default 20000)
  --auto-approve       approve each version the pipeline registers, as a reviewer would in the console
  --until STOP         run headless and exit 0 once trained, deployed or retrained (past trained, with --auto-approve)
  --drift-shift K      drifted traffic moves each numeric feature by K standard deviations (default 2)
  --time-scale N       the twin's clock runs N times real time (default 600 headless, 60 otherwise and for the drills)
  --port N             the twin's port (default 4750; a free one when it is taken)
  --data-dir DIR       the twin's data (default .local/data, or .local/headless for a headless run, which wipes
                       its data directory first, this one included)
  --fresh              wipe the data directory first
  --cdk-out DIR        the cloud assembly (default cdk.out)
  --no-synth           run the cloud assembly already in --cdk-out instead of synthesizing it
  --state-file FILE    where the twin writes its endpoints for the mlops CLI (default .local/twin.json)
  --fault-drills       once a version is live, run the fault drills (rollbacks, a restore, a dead letter);
                       implies --auto-approve and --until deployed
  --no-traffic         the interactive twin does not replay holdout rows once a version is live
  --verbose            print the synth's output and every function's log lines
  --update             apply a new synthesis to the twin already running, print the change set and exit
  --help, -h           this text`;

/** Whether the command line asks for HELP, wherever the flag is. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = 'UsageError';
  }
}

/** Parses the command line; unknown flags and bad values are reported by name. */
export function parseOptions(argv: string[]): DriverOptions {
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const spec = FLAGS[flag];
    if (!spec) throw new UsageError(`unknown option "${argv[i]}"`);
    if (spec.boolean) {
      raw[spec.key] = !flag.startsWith('--no-');
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    raw[spec.key] = value;
  }
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    const flagOf = (key: string) => Object.entries(FLAGS).find(([, s]) => s.key === key)?.[0] ?? key;
    throw new UsageError(parsed.error.issues.map((i) => `${flagOf(String(i.path[0]))}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
