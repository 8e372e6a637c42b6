/** The signals that stop `npm start`: Ctrl-C, `kill`, and a closed terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/**
 * Turns the first stop signal into a promise, so the driver can stop the twin's child processes (Lambda workers,
 * container processes, the synth) and remove its state file before exiting; Node's default would exit at once and
 * leave them behind. A second signal exits immediately, for a stop that hangs.
 */
export function listenForStopSignals(onForcedExit: (signal: StopSignal) => void): Promise<StopSignal> {
  return new Promise((resolve) => {
    let received = false;
    for (const signal of STOP_SIGNALS) {
      process.on(signal, () => {
        if (received) onForcedExit(signal);
        received = true;
        resolve(signal);
      });
    }
  });
}
