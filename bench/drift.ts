/**
 * Drift benchmarks on 1,000,000 baseline x 1,000,000 current values of one feature, side by side with
 * scipy/numpy on the same data in the same run. KS is timed three times: with both samples unsorted (`mlops drift` on
 * two files), against a presorted baseline (the processing step stores the baseline's values sorted, so a run sorts
 * only the window; scipy still gets both unsorted, as it would), and as the drift run computes it against that
 * baseline (the window sorted and counted into the baseline's bins, D and p drawn from the counts). Python is spawned on a binary
 * copy of the data, in a virtual environment made from bench/requirements.txt (pinned numpy and scipy), so the
 * reference is the same everywhere.
 * Without it (no Debian python3-venv, PyPI unreachable) the benchmark fails, naming why: a figure against another
 * reference would not be comparable.
 * Then the decide step's merge of many chunk summaries (drift-decide.ts), and the drift run over 1M and 5M captured
 * rows in a local S3, fanned out beside the single function (drift-run.ts), and a worker at the limit of its memory
 * (drift-memory.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareFeatures, numericReferenceFromValues } from '../lambdas/drift/compare';
import { DEFAULT_DRIFT_THRESHOLDS } from '../lambdas/drift/drift-config';
import { ksTest, ksTestPresorted, sortedCopy, type KsResult } from '../lambdas/drift/statistics/ks';
import { distinctReference, ksBinCounts, ksTestFromBinCounts, type DistinctReference } from '../lambdas/drift/statistics/ks-bins';
import { psiTest } from '../lambdas/drift/statistics/psi';
import { ensurePythonEnvironment } from '../local/services/python-environments';
import { Random } from '../pipelines/common/random';
import type { BenchResult } from './bench-result';
import { runDecideMergeBench } from './drift-decide';
import { runDriftMemoryBench } from './drift-memory';
import { runDriftRunBench } from './drift-run';

const N = 1_000_000;
const REPEATS = 5;
const WARM_UP_CALLS = 5;

/** The same data on every run (the pipelines' seeded generator). */
function normals(n: number, seed: number, mean: number): Float64Array {
  const random = new Random(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mean + random.normal();
  return out;
}

/**
 * Best of REPEATS, in CPU time of the process (user + system, every thread: V8's helper threads count against us),
 * as the scipy side measures with time.process_time(): both computations are single-threaded, so on an idle machine
 * this is their wall time, and on a shared one (CI, a busy laptop) other processes' load does not land on one side.
 */
function time<T>(fn: () => T): { ms: number; result: T } {
  let best = Infinity;
  let result!: T;
  for (let i = 0; i < REPEATS; i++) {
    const start = process.cpuUsage();
    result = fn();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return { ms: best, result };
}

const SCIPY_SCRIPT = `
import json, sys, time
import numpy as np
from scipy import stats
a = np.fromfile(sys.argv[1], dtype="<f8"); b = np.fromfile(sys.argv[2], dtype="<f8"); repeats = int(sys.argv[3])
def best(fn):
    t = float("inf")
    for _ in range(repeats):
        s = time.process_time(); r = fn(); t = min(t, time.process_time() - s)
    return t * 1000, r
def psi():
    edges = np.unique(np.quantile(a, np.arange(1, 10) / 10))
    pb = np.maximum(np.bincount(np.searchsorted(edges, a), minlength=len(edges) + 1) / len(a), 1e-4)
    pc = np.maximum(np.bincount(np.searchsorted(edges, b), minlength=len(edges) + 1) / len(b), 1e-4)
    return float(np.sum((pc - pb) * np.log(pc / pb)))
ks_ms, ks = best(lambda: stats.ks_2samp(a, b, method="asymp"))
psi_ms, p = best(psi)
print(json.dumps({"ks_ms": ks_ms, "d": float(ks.statistic), "p": float(ks.pvalue), "psi_ms": psi_ms, "psi": p, "scipy": __import__("scipy").__version__}))
`;

interface ScipyTimes {
  ks_ms: number;
  d: number;
  p: number;
  psi_ms: number;
  psi: number;
  scipy: string;
}

/** The pinned scipy/numpy the references run with. */
const REFERENCE_REQUIREMENTS = join(__dirname, 'requirements.txt');

function scipyTimes(python: string, dir: string, a: Float64Array, b: Float64Array): ScipyTimes {
  const fileA = join(dir, 'a.f64');
  const fileB = join(dir, 'b.f64');
  writeFileSync(fileA, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  writeFileSync(fileB, Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  const run = spawnSync(python, ['-c', SCIPY_SCRIPT, fileA, fileB, String(REPEATS)], { encoding: 'utf8', timeout: 600_000 });
  if (run.error || run.status !== 0) throw new Error(`the scipy reference failed: ${run.error?.message ?? run.stderr.trim().split('\n').pop()}`);
  return JSON.parse(run.stdout) as ScipyTimes;
}

/** D compared bit for bit, p as a relative difference (absolute when scipy's p is 0). */
function agreement(ours: KsResult, scipy: ScipyTimes): string {
  const relP = scipy.p === 0 ? Math.abs(ours.pValue) : Math.abs(ours.pValue - scipy.p) / scipy.p;
  return `D ${ours.statistic === scipy.d ? 'identical' : `differs (${scipy.d})`}, p rel. diff ${relP.toExponential(1)}`;
}

/**
 * KS as the drift run computes it: a chunk worker sorts its part of the window and counts it into the baseline's
 * distinct-value bins (window-summary.ts), the Decide step draws D and p from the counts (here one chunk: the whole
 * window). The baseline's distinct values are read once per run, so they are made outside the timing.
 */
const ksAsTheDriftRun = (reference: DistinctReference, values: Float64Array): KsResult => ksTestFromBinCounts(reference, ksBinCounts(reference, sortedCopy(values)));

const SCENARIOS = [
  { name: 'no drift', shift: 0 },
  { name: 'subtle drift', shift: 0.01 },
  { name: 'strong drift', shift: 0.5 },
];

/** The drift suite, a few minutes long: `progress` is told each part as it starts. */
export async function runDriftBench(progress: (part: string) => void): Promise<BenchResult[]> {
  const { python } = await ensurePythonEnvironment({ requirementsFile: REFERENCE_REQUIREMENTS, onLine: (line) => console.error(`drift bench: ${line}`) });
  const dir = mkdtempSync(join(tmpdir(), 'drift-bench-'));
  const results: BenchResult[] = [];
  try {
    const baseline = normals(N, 1, 0);
    // Sorted once, as the processing step stores it (not timed: a drift run reads it sorted).
    const sortedBaseline = sortedCopy(baseline);
    const distinctBaseline = distinctReference(sortedBaseline);
    // Steady state, as in a drift job comparing many features: the first few comparisons of a process run while V8
    // is still compiling the sort and merge loops (measured: ~2x slower for the first ~4 calls).
    const warmUp = normals(N, 3, 0);
    for (let i = 0; i < WARM_UP_CALLS; i++) {
      ksTest(baseline, warmUp);
      ksTestPresorted(sortedBaseline, warmUp);
      ksAsTheDriftRun(distinctBaseline, warmUp);
      psiTest(baseline, warmUp);
      compareFeatures([numericReferenceFromValues('x', baseline)], [{ name: 'x', type: 'numeric', values: warmUp }], DEFAULT_DRIFT_THRESHOLDS);
    }
    for (const scenario of SCENARIOS) {
      progress(`KS and PSI on 1e6 x 1e6 values against scipy, ${scenario.name}`);
      const current = normals(N, 2, scenario.shift);
      const ours = time(() => ksTest(baseline, current));
      const scipy = scipyTimes(python, dir, baseline, current);
      const label = `KS 1e6x1e6, ${scenario.name}`;
      const found = `D=${ours.result.statistic.toPrecision(4)} p=${ours.result.pValue.toPrecision(4)}`;
      // The whole per-feature verdict as `mlops drift` computes it: one sort per column shared by PSI and KS.
      const verdict = time(() =>
        compareFeatures([numericReferenceFromValues('x', baseline)], [{ name: 'x', type: 'numeric', values: current }], DEFAULT_DRIFT_THRESHOLDS),
      );
      const feature = verdict.result.features[0];
      results.push({
        name: `drift verdict (PSI + KS) 1e6x1e6, ${scenario.name}`,
        ours: verdict.ms,
        reference: scipy.ks_ms,
        ratio: scipy.ks_ms / verdict.ms,
        unit: 'ms',
        note: `reference: scipy ks_2samp alone; PSI ${feature.psi.toPrecision(4)}, drifted: ${feature.drifted}`,
      });
      results.push({
        name: label,
        ours: ours.ms,
        reference: scipy.ks_ms,
        ratio: scipy.ks_ms / ours.ms,
        unit: 'ms',
        note: `reference: scipy ${scipy.scipy} ks_2samp(method="asymp"); ${found}; ${agreement(ours.result, scipy)}`,
      });
      const presorted = time(() => ksTestPresorted(sortedBaseline, current));
      results.push({
        name: `KS 1e6 presorted x 1e6, ${scenario.name}`,
        ours: presorted.ms,
        reference: scipy.ks_ms,
        ratio: scipy.ks_ms / presorted.ms,
        unit: 'ms',
        // Issue 15: KS on 1e6 x 1e6 with the baseline stored sorted, at least 5x scipy's.
        goal: 5,
        note: `baseline sorted once (as stored), window sorted per run; reference: the same scipy call on both unsorted; ${agreement(presorted.result, scipy)}`,
      });
      const binned = time(() => ksAsTheDriftRun(distinctBaseline, current));
      results.push({
        name: `KS 1e6 presorted x 1e6 as the drift run, ${scenario.name}`,
        ours: binned.ms,
        reference: scipy.ks_ms,
        ratio: scipy.ks_ms / binned.ms,
        unit: 'ms',
        note: `window sorted and counted into the baseline's bins, D and p from the counts (chunk worker + Decide); ${agreement(binned.result, scipy)}`,
      });
      if (scenario.shift === 0.01) {
        const psi = time(() => psiTest(baseline, current));
        results.push({
          name: 'PSI 1e6x1e6, deciles',
          ours: psi.ms,
          reference: scipy.psi_ms,
          ratio: scipy.psi_ms / psi.ms,
          unit: 'ms',
          note: `reference: numpy quantile/searchsorted/bincount; PSI ${psi.result.psi.toPrecision(6)} vs ${scipy.psi.toPrecision(6)}`,
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The decide step's merge of many chunk summaries.
  progress("the decide step's merge of 100 chunk summaries");
  results.push(...(await runDecideMergeBench()));
  // The drift run itself over 1M and 5M captured rows: the Distributed Map's fan-out beside the single function.
  progress('the drift run over 1M and 5M captured rows, fanned out and in one function');
  results.push(...(await runDriftRunBench()));
  // A worker at the limit of its memory.
  progress('a chunk worker and the decide step at the most numeric features their memory takes');
  results.push(...(await runDriftMemoryBench()));
  return results;
}
