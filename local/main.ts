/**
 * `npm start`: synthesizes the team's stack, runs it in the local twin with the console, uploads the team's
 * dataset and runs the training pipeline, then waits for the approval click in the console. With `--auto-approve
 * --until retrained` it runs the whole loop headless and exits 0 (or 1 naming the step that failed), printing a
 * timeline. SIGINT, SIGTERM and SIGHUP stop the twin (its child processes and state file) at any point.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { loadTeamConfig, TeamConfigError } from '../contracts/team-config';
import { describeChangeSet } from './assembly/change-set';
import { buildConsole } from '../console/build';
import { runFaultDrills } from './driver/fault-drills';
import { runLoop } from './driver/full-loop';
import { trafficOnceLive } from './driver/live-traffic';
import { LoopSession } from './driver/loop-session';
import { HELP, parseOptions, UsageError, wantsHelp } from './driver/options';
import { watchExecutions } from './driver/progress';
import { listenForStopSignals } from './driver/stop-signals';
import { requestStackUpdate, StackUpdateFailedError, TwinNotRunningError } from './driver/stack-update-client';
import { synthesize, synthesizeConfig } from './driver/synth';
import { DatasetError, teamDataset } from './driver/team-dataset';
import { checkAssemblyHasTeam, WrongStackError } from './driver/team-stack';
import { assertRunsOnTwin, UnsupportedOnTwinError } from './driver/twin-support';
import { Twin } from './twin';

const PROJECT_ROOT = resolve(__dirname, '..');

async function main(): Promise<number> {
  if (wantsHelp(process.argv.slice(2))) {
    console.log(HELP);
    return 0;
  }
  const options = parseOptions(process.argv.slice(2));
  // The drills need a live version: without --until they run after the loop has deployed one.
  if (options.faultDrills) {
    if (options.until === 'console' || options.until === 'trained') throw new UsageError(`--fault-drills needs a live version; it cannot stop at --until ${options.until}`);
    options.until ??= 'deployed';
    options.autoApprove = true;
  }
  const headless = options.until !== undefined && options.until !== 'console';
  if (headless && !options.autoApprove && options.until !== 'trained') {
    throw new UsageError(`--until ${options.until} needs --auto-approve (nobody is there to click approve)`);
  }
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const log = (line: string) => console.log(line);

  const team = teamName(options.team);
  const config = loadTeamConfig(teamConfigFile(team));
  assertRunsOnTwin(team, config);
  // Refused before minutes of synth: another team's model must never get the example's generated rows.
  const dataset = teamDataset(config, { file: options.dataset, rows: options.rows });

  // Everything started below is stopped here, once, whether the run ends, fails or is signalled.
  const stopping = new AbortController();
  const cleanups: Array<() => void | Promise<void>> = [];
  let stopped: Promise<void> | undefined;
  const shutdown = () =>
    (stopped ??= (async () => {
      stopping.abort();
      for (const cleanup of cleanups.reverse()) await cleanup();
    })());
  let waitingForCtrlC = false;
  void listenForStopSignals().then(async (signal) => {
    log(`\n${signal}: stopping the twin ...`);
    await shutdown();
    // Ctrl-C is how the interactive twin is meant to end; anywhere else a signal cut the run short.
    process.exit(waitingForCtrlC ? 0 : 128 + constants.signals[signal]);
  });

  // An update synthesizes into a directory of its own: the running twin's functions run from the assets of its cdk.out.
  const cdkOut = options.update && options.synth ? resolve(PROJECT_ROOT, '.local', 'stack-updates', new Date().toISOString().replace(/[:.]/g, '-')) : resolve(PROJECT_ROOT, options.cdkOut);
  if (options.synth) {
    log(`synthesizing team ${team} (cdk synth -c team=${team} -> ${cdkOut}) ...`);
    const print = (line: string) => {
      if (options.verbose || /^Bundling asset/.test(line)) log(`  synth | ${line}`);
    };
    await synthesize(PROJECT_ROOT, cdkOut, team, print, stopping.signal);
    log(`synthesized in ${elapsed()}`);
  }
  checkAssemblyHasTeam(cdkOut, team);
  if (options.update) return applyToRunningTwin(resolve(PROJECT_ROOT, options.stateFile), cdkOut, log);
  // A headless run starts from nothing and keeps its data apart from the interactive twin's.
  const dataDirectory = resolve(PROJECT_ROOT, options.dataDir ?? (headless ? '.local/headless' : '.local/data'));
  if (options.fresh || headless) rmSync(dataDirectory, { recursive: true, force: true });

  const stateFile = resolve(PROJECT_ROOT, options.stateFile);
  const twinOptions = {
    cdkOut,
    dataDirectory,
    // Drills run at x60: a 5-minute canary bake lasts 5 s, longer than the handler's once-a-second metric flush, as a
    // real bake is longer than CloudWatch's metric delay (at x600 the canary would be judged before its errors show).
    timeScale: options.timeScale ?? (headless && !options.faultDrills ? 600 : 60),
    port: options.port,
    // The console bundle is built from console/src at every start (well under a second); it is not committed.
    consoleDirectory: await buildConsole(),
    stateFile,
    onFunctionLog: options.verbose ? (fn: string, version: string, line: string) => log(`  ${fn}:${version} | ${line}`) : undefined,
  };
  const twin = await Twin.start(twinOptions).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE') throw err;
    log(`port ${options.port} is in use; the twin takes a free one`);
    return Twin.start({ ...twinOptions, port: 0 });
  });
  cleanups.push(() => twin.stop());
  cleanups.push(watchExecutions(twin, log));
  log(`twin up in ${elapsed()} (time x${twin.clock.scale}); console: ${twin.url}/  state file: ${options.stateFile}`);

  try {
    const session = new LoopSession(twin, config);
    cleanups.push(() => session.close());
    if (headless) return await runHeadless(session, options.until as 'trained', options.driftShift, options.faultDrills, dataset, log, elapsed);

    const initial = dataset.initial();
    log(`${initial.summary} -> ${await session.uploadInitialData(initial)}; starting the training pipeline ...`);
    const arn = await session.requestTraining('npm start');
    const run = await twin.states.describe(arn).done;
    if (run.status === 'SUCCEEDED') {
      const pending = (await session.versions()).filter((v) => v.status === 'pending_approval').map((v) => v.version);
      log(`\n${session.model} ${pending.length === 1 ? 'version' : 'versions'} ${pending.join(', ')} pending approval: open ${twin.url}/ and click approve.`);
    } else {
      log(`\nthe training run ${run.status}: see ${twin.url}/ for the failed step.`);
    }
    if (options.traffic) cleanups.push(trafficOnceLive(session, log));
    log('the twin keeps running (deployment, traffic, drift happen here); Ctrl-C stops it.');
    waitingForCtrlC = true;
    return await new Promise<number>(() => undefined);
  } finally {
    if (!waitingForCtrlC) await shutdown();
  }
}

async function runHeadless(
  session: LoopSession,
  until: 'trained' | 'deployed' | 'retrained',
  driftShift: number,
  faultDrills: boolean,
  dataset: ReturnType<typeof teamDataset>,
  log: (line: string) => void,
  elapsed: () => string,
): Promise<number> {
  try {
    const result = await runLoop(session, { until, dataset, driftShift, report: log });
    log(`\ntimeline (wall clock, ${elapsed()} in all):`);
    for (const step of result.steps) log(`  ${step.name.padEnd(8)} ${step.seconds.toFixed(1).padStart(6)}s  ${step.detail}`);
    if (faultDrills) return (await runFaultDrills(session, (config, outdir) => synthesizeConfig(PROJECT_ROOT, config, outdir), log)) ? 0 : 1;
    return 0;
  } catch (err) {
    log(`\nFAILED ${(err as Error).message}`);
    return 1;
  }
}

/** `--update`: the running twin applies the cloud assembly as a stack update; its change set is printed. */
async function applyToRunningTwin(stateFile: string, cdkOut: string, log: (line: string) => void): Promise<number> {
  try {
    const changeSet = await requestStackUpdate(stateFile, cdkOut);
    log('stack update applied to the running twin:');
    for (const line of describeChangeSet(changeSet)) log(`  ${line}`);
    return 0;
  } catch (err) {
    if (!(err instanceof StackUpdateFailedError)) throw err;
    log(`stack update failed (${err.code}): ${err.message}`);
    return 1;
  }
}

/** --team, else cdk.json's context "team" (what `cdk synth` without -c would use). */
function teamName(team: string | undefined): string {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: { team?: string } };
  const name = team ?? cdkJson.context?.team;
  if (!name) throw new UsageError('no team: set --team <name> (a config in pipelines/teams/<name>.json) or cdk.json context "team"');
  return name;
}

function teamConfigFile(team: string): string {
  const file = join(PROJECT_ROOT, 'pipelines', 'teams', `${team}.json`);
  if (!existsSync(file)) throw new UsageError(`no team config pipelines/teams/${team}.json (set --team or cdk.json context "team")`);
  return file;
}

/** Mistakes the user fixes (options, config, data, a cdk.out of another team): the message, exit 2. */
const isUsersToFix = (err: unknown) =>
  err instanceof UsageError || err instanceof TeamConfigError || err instanceof DatasetError || err instanceof WrongStackError || err instanceof TwinNotRunningError || err instanceof UnsupportedOnTwinError;

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(isUsersToFix(err) ? (err as Error).message : err);
    process.exit(isUsersToFix(err) ? 2 : 1);
  },
);
