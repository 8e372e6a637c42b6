import type { ContainerRun } from './container-process';

const TRACEBACK_HEADER = 'Traceback (most recent call last):';

/**
 * Why a container failed, read from its last output lines when it left no failure file: the exception of a Python
 * traceback (`ValueError: ...`, the line a data scientist looks for, with any continuation lines of its message),
 * otherwise the last three lines, and always the exit code or signal.
 */
export function failureReasonFromOutput(run: ContainerRun): string {
  const ended = run.signal ? `killed by ${run.signal}` : `exit code ${run.exitCode}`;
  const lines = pythonException(run.tail) ?? run.tail.filter((line) => line.trim()).slice(-3);
  return lines.length ? `${lines.join(' | ')} (${ended})` : ended;
}

/** The exception lines after the last traceback's frames (indented lines), or undefined without a traceback. */
function pythonException(tail: readonly string[]): string[] | undefined {
  const header = tail.lastIndexOf(TRACEBACK_HEADER);
  if (header < 0) return undefined;
  const exception = tail.slice(header + 1).findIndex((line) => line.length > 0 && !/^\s/.test(line));
  if (exception < 0) return undefined;
  return tail.slice(header + 1 + exception).filter((line) => line.trim());
}
