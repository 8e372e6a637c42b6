/**
 * `npm run bench`: every hot path measured side by side with its reference in one run, printed as ratios.
 * Targets are read off the ratios (see each row's note); absolute times depend on the machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult } from './bench-result';
import { benchChartSvg, type BenchSuite } from './chart';
import { runColdStartBench } from './cold-start';
import { runDriftBench } from './drift';
import { runInferenceBench } from './inference';
import { runProcessingBench } from './processing';
import { runScoringBench } from './scoring';

/** Each suite, given where to say which part it is running when it takes long. */
const suites: Array<[string, (progress: (part: string) => void) => Promise<BenchResult[]>]> = [
  ['inference', runInferenceBench],
  ['cold-start', runColdStartBench],
  ['drift', runDriftBench],
  ['scoring', runScoringBench],
  ['processing', runProcessingBench],
];

function format(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

async function main(): Promise<void> {
  const only = process.argv[2];
  const rows: BenchResult[] = [];
  const ran: BenchSuite[] = [];
  for (const [name, run] of suites) {
    if (only && only !== name) continue;
    process.stderr.write(`running the ${name} benchmarks...\n`);
    const started = Date.now();
    const suiteRows = await run((part) => process.stderr.write(`  ${name}: ${part}...\n`));
    process.stderr.write(`  ${name}: ${suiteRows.length} rows in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    rows.push(...suiteRows);
    ran.push({ name, rows: suiteRows });
  }
  const table = rows.map((r) => [r.name, format(r.ours), format(r.reference), r.unit, `${r.ratio.toFixed(2)}x`, r.note ?? '']);
  const header = ['benchmark', 'ours', 'reference', 'unit', 'ratio', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  console.log(line(header));
  for (const row of table) console.log(line(row));
  const chart = join(__dirname, '..', 'node_modules', '.cache', 'mlops-bench', 'results.svg');
  mkdirSync(join(chart, '..'), { recursive: true });
  writeFileSync(chart, benchChartSvg(ran, `npm run bench${only ? ` -- ${only}` : ''}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`));
  console.log(`\nthe same as a chart: ${chart}`);
}

main().catch((err) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
