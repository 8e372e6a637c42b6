import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { twinStateFileSchema } from '../../contracts/twin-state-file';
import { formatIssues } from '../../contracts/validation-issues';
import type { StackChangeSummary } from '../assembly/change-set';

/** No twin answers: the state file is missing (nothing running) or names a twin that is gone. */
export class TwinNotRunningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TwinNotRunningError';
  }
}

/** The running twin refused the update, or applied it and rolled it back; the message is the twin's. */
export class StackUpdateFailedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StackUpdateFailedError';
  }
}

const summarySchema = z.object({
  stackName: z.string(),
  created: z.array(z.string()),
  updated: z.array(z.string()),
  replaced: z.array(z.string()),
  deleted: z.array(z.string()),
  retained: z.array(z.string()),
  outputsChanged: z.array(z.string()),
});
const answerSchema = z.union([
  z.object({ changeSet: z.array(summarySchema) }),
  z.object({ error: z.string(), message: z.string() }),
  // The twin's server answers an unexpected failure as 500 { message }.
  z.object({ message: z.string() }).transform(({ message }) => ({ error: 'TwinError', message })),
]);

/**
 * `npm start -- --update`: asks the twin named by the state file to apply `cdkOut` (POST /twin/stack-update) and
 * returns its change set per stack.
 */
export async function requestStackUpdate(stateFile: string, cdkOut: string): Promise<StackChangeSummary[]> {
  if (!existsSync(stateFile)) throw new TwinNotRunningError(`no twin is running: ${stateFile} does not exist (start one with npm start)`);
  // Only the twin's address is needed here; the rest of the file is the CLI's.
  const state = twinStateFileSchema.pick({ twinUrl: true }).safeParse(JSON.parse(readFileSync(stateFile, 'utf8')));
  if (!state.success) throw new TwinNotRunningError(`${stateFile} is not a twin state file: ${formatIssues(state.error).join('; ')}`);
  let response: Response;
  try {
    response = await fetch(`${state.data.twinUrl}/twin/stack-update`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cdkOut }) });
  } catch (err) {
    throw new TwinNotRunningError(`no twin answers at ${state.data.twinUrl} (from ${stateFile}): ${(err as Error).message}`);
  }
  const answer = answerSchema.parse(await response.json());
  if ('error' in answer) throw new StackUpdateFailedError(answer.error, answer.message);
  return answer.changeSet;
}
