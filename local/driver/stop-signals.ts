/** The signals that stop `npm start`: Ctrl-C, `kill`, and a closed terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/**
 * Turns the first stop signal into a promise, so the driver can stop the twin's child processes (Lambda workers,
 * container processes, the synth) and remove its state file before exiting; Node's default would exit at once and
 * leave them behind. Later signals are ignored: one Ctrl-C reaches this process more than once (from the terminal,
 * and forwarded by npm), and must not cut the stop short. `npm start` runs this process as `node --import tsx`, not
 * through the tsx CLI: the CLI's parent process waits only 30 ms for its child to report a signal, then SIGKILLs it and
 * exits 130, which on a busy machine cut the twin's stop short.
 */
export function listenForStopSignals(): Promise<StopSignal> {
  return new Promise((resolve) => {
    for (const signal of STOP_SIGNALS) process.on(signal, () => resolve(signal));
  });
}
