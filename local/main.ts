/**
 * `npm start`: synthesizes the app, runs it in the local twin with the console, seeds the example dataset and runs
 * the training pipeline, then waits for the approval click in the console. With `--auto-approve --until retrained`
 * it runs the whole loop headless and exits 0 (or 1 naming the step that failed), printing a timeline.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadTeamConfig } from '../lib/team-config';
import { buildConsole } from './console/build';
import { runFaultDrills } from './driver/fault-drills';
import { runLoop } from './driver/full-loop';
import { LoopSession } from './driver/loop-session';
import { trafficOnceLive } from './driver/live-traffic';
import { parseOptions, UsageError } from './driver/options';
import { watchExecutions } from './driver/progress';
import { synthesize } from './driver/synth';
import { Twin } from './twin';

const PROJECT_ROOT = resolve(__dirname, '..');

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const headless = options.until !== undefined && options.until !== 'console';
  if (headless && !options.autoApprove && options.until !== 'trained') {
    throw new UsageError(`--until ${options.until} needs --auto-approve (nobody is there to click approve)`);
  }
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const log = (line: string) => console.log(line);

  const cdkOut = resolve(PROJECT_ROOT, options.cdkOut);
  if (options.synth) {
    log(`synthesizing the app (cdk synth -> ${options.cdkOut}) ...`);
    await synthesize(PROJECT_ROOT, cdkOut, (line) => {
      if (options.verbose || /^Bundling asset/.test(line)) log(`  synth | ${line}`);
    });
    log(`synthesized in ${elapsed()}`);
  }
  // A headless run starts from nothing and keeps its data apart from the interactive twin's.
  const dataDirectory = resolve(PROJECT_ROOT, options.dataDir ?? (headless ? '.local/headless' : '.local/data'));
  if (options.fresh || headless) rmSync(dataDirectory, { recursive: true, force: true });

  const twinOptions = {
    cdkOut,
    dataDirectory,
    timeScale: options.timeScale ?? (headless ? 600 : 60),
    port: options.port,
    // The console bundle is built from local/console/src at every start (well under a second); it is not committed.
    consoleDirectory: await buildConsole(),
    stateFile: join(PROJECT_ROOT, '.local', 'twin.json'),
    onFunctionLog: options.verbose ? (fn: string, version: string, line: string) => log(`  ${fn}:${version} | ${line}`) : undefined,
  };
  const twin = await Twin.start(twinOptions).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE') throw err;
    log(`port ${options.port} is in use; the twin takes a free one`);
    return Twin.start({ ...twinOptions, port: 0 });
  });
  const stopWatching = watchExecutions(twin, log);
  log(`twin up in ${elapsed()} (time x${twin.clock.scale}); console: ${twin.url}/  state file: .local/twin.json`);
  const session = new LoopSession(twin, loadTeamConfig(teamConfigFile(options.team)));
  const shutdown = async () => {
    stopWatching();
    session.close();
    await twin.stop();
  };

  if (headless) {
    try {
      const result = await runLoop(session, { until: options.until as 'trained', rows: options.rows, report: log });
      log(`\ntimeline (wall clock, ${elapsed()} in all):`);
      for (const step of result.steps) log(`  ${step.name.padEnd(8)} ${step.seconds.toFixed(1).padStart(6)}s  ${step.detail}`);
      if (options.faultDrills) return (await runFaultDrills(session, result.pendingVersion, log)) ? 0 : 1;
      return 0;
    } catch (err) {
      log(`\nFAILED ${(err as Error).message}`);
      return 1;
    } finally {
      await shutdown();
    }
  }

  await session.uploadDataset('transactions.csv', { rows: options.rows, seed: 7 });
  log(`example dataset uploaded (${options.rows} rows); starting the training pipeline ...`);
  const arn = await session.startTraining(`manual-${Date.now()}`, 'npm start');
  const run = await twin.states.describe(arn).done;
  if (run.status === 'SUCCEEDED') {
    const pending = (await session.versions()).filter((v) => v.status === 'pending_approval').map((v) => v.version);
    log(`\n${session.model} ${pending.length === 1 ? 'version' : 'versions'} ${pending.join(', ')} pending approval: open ${twin.url}/ and click approve.`);
  } else {
    log(`\nthe training run ${run.status}: see ${twin.url}/ for the failed step.`);
  }
  if (options.faultDrills) await runFaultDrills(session, undefined, log);
  const stopTraffic = options.traffic ? trafficOnceLive(session, log) : () => undefined;
  log('the twin keeps running (deployment, traffic, drift happen here); Ctrl-C stops it.');
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', () => resolveStop());
    process.once('SIGTERM', () => resolveStop());
  });
  stopTraffic();
  await shutdown();
  return 0;
}

function teamConfigFile(team: string | undefined): string {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: { team?: string } };
  const name = team ?? cdkJson.context?.team;
  const file = join(PROJECT_ROOT, 'pipelines', 'teams', `${name}.json`);
  if (!name || !existsSync(file)) throw new UsageError(`no team config pipelines/teams/${name}.json (set --team or cdk.json context "team")`);
  return file;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof UsageError ? err.message : err);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
