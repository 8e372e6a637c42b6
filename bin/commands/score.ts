import { parseArgs } from 'node:util';
import { DescribeExecutionCommand, DescribeMapRunCommand, ListMapRunsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { scoringRequestSchema, type ScoringRequest } from '../../contracts/batch-scoring';
import { formatIssues } from '../../contracts/validation-issues';
import { type CliIo, resolveTarget, type StackTarget, stackOutput, TARGET_OPTIONS, TWIN_CREDENTIALS, UsageError } from './cli-io';
import { reportError, TARGET_USAGE } from './command-group';

/** The team stack's output naming its BatchScoring state machine (MlopsTeamStack). */
const SCORING_OUTPUT = 'BatchScoringStateMachineArn';

const SCORE_USAGE = `usage: mlops score --input s3://bucket/data.csv --output s3://bucket/prefix [options]
  scores every row of a CSV (with a header row holding the model's features) or a Parquet file (a key ending in
  .parquet: columns named as the features) with the live version, or --version N (a version that was approved), on
  the team's BatchScoring state machine: chunks of whole rows (whole row groups of a Parquet file) scored side by side,
  one part file each (<output>/part-NNNNN.csv: row_id, model_version, label and probabilities, or prediction), then
  <output>/manifest.json. Prints the progress as chunks finish; exit 0 when every row is scored, 1 when the run fails.
  --version N           score with this version (default: the live one)
  --row-id COLUMN       the input column that identifies a row in the output (default: the row's index)
  --rows-per-chunk N    rows a chunk holds (default 50,000)
  --no-wait             start the run and print its execution, without following it
${TARGET_USAGE}`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  json: { type: 'boolean' },
  input: { type: 'string' },
  output: { type: 'string' },
  version: { type: 'string' },
  'row-id': { type: 'string' },
  'rows-per-chunk': { type: 'string' },
  'no-wait': { type: 'boolean' },
} as const;

/** How often a run is looked at: the twin answers at once, AWS's API is rate limited. */
const POLL_MS = { twin: 500, aws: 5_000 };

/** `mlops score ...`: returns the exit code (0 scored, 1 the run failed, 2 bad usage). */
export async function run(args: string[], io: CliIo): Promise<number> {
  try {
    if (args[0] === 'help' || args[0] === '--help') {
      io.stdout(SCORE_USAGE);
      return 0;
    }
    const { values } = parseOptions(args);
    const request = requestOf(values);
    const target = resolveTarget(values, SCORING_OUTPUT);
    const sfn = sfnClient(target);
    try {
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: stackOutput(target, SCORING_OUTPUT), input: JSON.stringify(request) }));
      if (!values.json) io.stdout(`scoring ${request.input} with ${request.version === undefined ? 'the live version' : `v${request.version}`} (execution ${executionArn})`);
      if (values['no-wait']) {
        if (values.json) io.stdout(JSON.stringify({ executionArn }, null, 2));
        return 0;
      }
      return await follow(sfn, executionArn!, POLL_MS[target.kind], io, values.json ?? false);
    } finally {
      sfn.destroy();
    }
  } catch (err) {
    return reportError(err, io);
  }
}

function parseOptions(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; see mlops score help`);
  }
}

/** The request from the options, checked by the state machine's own input schema (every bad option named). */
function requestOf(values: ReturnType<typeof parseOptions>['values']): ScoringRequest {
  const missing = (['input', 'output'] as const).filter((option) => values[option] === undefined).map((option) => `--${option}`);
  if (missing.length) throw new UsageError(`${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} required; see mlops score help`);
  // A whole number becomes one; anything else goes to the schema as it is, which names the option.
  const number = (text: string | undefined) => (text === undefined ? undefined : /^\d+$/.test(text) ? Number(text) : text);
  const parsed = scoringRequestSchema.safeParse({
    input: values.input,
    output: values.output,
    version: number(values.version),
    rowIdColumn: values['row-id'],
    rowsPerChunk: number(values['rows-per-chunk']),
  });
  if (!parsed.success) {
    const flags: Record<string, string> = { input: '--input', output: '--output', version: '--version', rowIdColumn: '--row-id', rowsPerChunk: '--rows-per-chunk' };
    throw new UsageError(formatIssues(parsed.error).map((line) => line.replace(/^(\w+)/, (field) => flags[field] ?? field)).join('; '));
  }
  return parsed.data;
}

function sfnClient(target: StackTarget): SFNClient {
  return target.kind === 'twin'
    ? new SFNClient({ region: target.region, endpoint: target.twinUrl, credentials: TWIN_CREDENTIALS })
    : new SFNClient({ region: target.region });
}

/** Follows the run to its end, printing a line each time more chunks are scored. */
async function follow(sfn: SFNClient, executionArn: string, pollMs: number, io: CliIo, json: boolean): Promise<number> {
  let reported = '';
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const [mapRun] = (await sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns ?? [];
    if (mapRun && !json) {
      const { itemCounts } = await sfn.send(new DescribeMapRunCommand({ mapRunArn: mapRun.mapRunArn! }));
      const line = `chunks scored: ${itemCounts?.succeeded ?? 0}/${itemCounts?.total ?? 0}${itemCounts?.failed ? `, ${itemCounts.failed} failed` : ''}`;
      if (line !== reported) io.stdout((reported = line));
    }
    if (execution.status === 'SUCCEEDED') {
      const { result } = JSON.parse(execution.output ?? '{}') as { result: { manifest: string; rows: number; version: number } };
      io.stdout(json ? JSON.stringify({ executionArn, ...result }, null, 2) : `scored ${result.rows} rows with v${result.version}; manifest ${result.manifest}`);
      return 0;
    }
    if (execution.status !== 'RUNNING') {
      io.stderr(`mlops: scoring ${execution.status}: ${execution.error ?? ''}${execution.cause ? `: ${execution.cause}` : ''}`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
