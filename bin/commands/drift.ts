import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseCsv } from 'csv-parse/sync';
import { formatIssues } from '../../contracts/team-config';
import {
  compareFeatures,
  numericReferenceFromValues,
  type CurrentColumn,
  type DriftReport,
  type FeatureReference,
} from '../../lambdas/drift/compare';
import { driftThresholdsSchema } from '../../lambdas/drift/drift-config';
import { DEFAULT_PSI_BINS } from '../../lambdas/drift/statistics/psi';
import { formatTable, UsageError, type CliIo } from './cli-io';

/** Help text of `mlops drift`. */
const DRIFT_USAGE = `usage: mlops drift --baseline <a.csv> --current <b.csv> [options]
Compares every column of the baseline CSV (header row = feature names) with the same column of the current CSV:
PSI over baseline-quantile bins, two-sample KS (numeric) or chi-squared (categorical), and a dataset verdict.
  --categorical c1,c2   columns compared as categories (values as written)
  --json                print the report as JSON
  --bins N              PSI bins (baseline quantiles), default ${DEFAULT_PSI_BINS}
  --alpha P             KS / chi-squared significance level, default 0.01
  --psi-critical X      PSI at which a feature counts as drifted, default 0.25
  --min-ks D            smallest KS statistic that counts as drift, default 0.1
  --drifted-share S     share of drifted features that means dataset drift, default 0.3
Exit code: 0 no dataset drift, 1 dataset drift detected, 2 bad usage or input (as diff does), 3 unexpected error.`;

const OPTIONS = {
  baseline: { type: 'string' },
  current: { type: 'string' },
  categorical: { type: 'string' },
  json: { type: 'boolean' },
  bins: { type: 'string' },
  alpha: { type: 'string' },
  'psi-critical': { type: 'string' },
  'min-ks': { type: 'string' },
  'drifted-share': { type: 'string' },
  help: { type: 'boolean' },
} as const;

interface CsvTable {
  file: string;
  header: string[];
  rows: string[][];
}

function readCsv(file: string): CsvTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let records: string[][];
  try {
    records = parseCsv(text, { skip_empty_lines: true, trim: true, bom: true }) as string[][];
  } catch (err) {
    throw new UsageError(`${file} is not valid CSV: ${(err as Error).message}`);
  }
  const [header, ...rows] = records;
  if (!header || header.length === 0) throw new UsageError(`${file} is empty; expected a header row naming the features`);
  const duplicate = header.find((name, i) => header.indexOf(name) !== i);
  if (duplicate !== undefined) throw new UsageError(`${file}: column "${duplicate}" appears twice in the header`);
  if (rows.length === 0) throw new UsageError(`${file} has a header but no rows`);
  return { file, header, rows };
}

/** A numeric column; a cell that is not a finite number names its file, column and line. */
function numericColumn(table: CsvTable, column: string): Float64Array {
  const index = table.header.indexOf(column);
  return Float64Array.from(table.rows, (row, r) => {
    const cell = row[index] ?? '';
    const value = cell === '' ? NaN : Number(cell);
    if (!Number.isFinite(value)) {
      throw new UsageError(
        `${table.file}, column "${column}", line ${r + 2}: "${cell}" is not a number (pass --categorical ${column} if it is a category)`,
      );
    }
    return value;
  });
}

function categoryCountsOf(table: CsvTable, column: string): Record<string, number> {
  const index = table.header.indexOf(column);
  const counts: Record<string, number> = {};
  for (const row of table.rows) {
    const key = row[index] ?? '';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function thresholds(values: Record<string, string | boolean | undefined>) {
  const number = (name: string) => (values[name] === undefined ? undefined : Number(values[name]));
  const parsed = driftThresholdsSchema.safeParse({
    alpha: number('alpha'),
    psiCritical: number('psi-critical'),
    minKsStatistic: number('min-ks'),
    driftedFeatureShare: number('drifted-share'),
  });
  if (!parsed.success) throw new UsageError(formatIssues(parsed.error).join('; '));
  return parsed.data;
}

function bins(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PSI_BINS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 2 || value > 1000) throw new UsageError(`--bins must be an integer from 2 to 1000, got "${raw}"`);
  return value;
}

const fixed = (x: number | undefined, digits = 4) => (x === undefined ? undefined : x.toFixed(digits));
const pValue = (p: number | undefined) => (p === undefined ? undefined : p < 1e-4 ? p.toExponential(2) : p.toFixed(4));

function renderTable(report: DriftReport): string {
  const rows = report.features.map((f) => [
    f.name,
    f.type,
    f.count,
    fixed(f.psi),
    fixed(f.ks?.statistic),
    pValue(f.ks?.pValue ?? f.chiSquared?.pValue),
    f.drifted ? 'DRIFT' : f.psiLevel === 'warning' ? 'warning' : 'ok',
  ]);
  const table = formatTable(['feature', 'type', 'rows', 'psi', 'ks_d', 'p_value', 'verdict'], rows);
  const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
  const verdict = report.drifted ? 'dataset drift detected' : 'no dataset drift';
  return `${table}\n\n${report.driftedFeatures} of ${report.features.length} features drifted (${percent(report.driftedFeatureShare)}; threshold ${percent(report.thresholds.driftedFeatureShare)}): ${verdict}`;
}

/** `mlops drift`: compares two CSV files column by column. */
export async function run(args: string[], io: CliIo): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError(`${(err as Error).message}; try: mlops drift --help`);
    }
    const { values, positionals } = parsed;
    if (values.help || positionals[0] === 'help') {
      io.stdout(DRIFT_USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; try: mlops drift --help`);
    if (!values.baseline || !values.current) throw new UsageError('--baseline and --current are both required; try: mlops drift --help');
    const limits = thresholds(values);
    const binCount = bins(values.bins);

    const baseline = readCsv(values.baseline);
    const current = readCsv(values.current);
    const categorical = new Set((values.categorical ?? '').split(',').map((s) => s.trim()).filter(Boolean));
    for (const name of categorical) {
      if (!baseline.header.includes(name)) throw new UsageError(`--categorical names "${name}", which is not a column of ${baseline.file}`);
    }
    const missing = baseline.header.find((name) => !current.header.includes(name));
    if (missing !== undefined) throw new UsageError(`${current.file} has no column "${missing}" (a feature of ${baseline.file})`);

    const references: FeatureReference[] = [];
    const columns: CurrentColumn[] = [];
    for (const name of baseline.header) {
      if (categorical.has(name)) {
        references.push({ type: 'categorical', name, counts: categoryCountsOf(baseline, name) });
        columns.push({ type: 'categorical', name, counts: categoryCountsOf(current, name) });
      } else {
        references.push(numericReferenceFromValues(name, numericColumn(baseline, name), binCount));
        columns.push({ type: 'numeric', name, values: numericColumn(current, name) });
      }
    }
    const report = compareFeatures(references, columns, limits);
    if (values.json) io.stdout(JSON.stringify({ baseline: baseline.file, current: current.file, ...report }, null, 2));
    else io.stdout(renderTable(report));
    return report.drifted ? 1 : 0;
  } catch (err) {
    io.stderr(`mlops drift: ${err instanceof Error ? err.message : String(err)}`);
    return err instanceof UsageError ? 2 : 3;
  }
}
