/**
 * One step of the drift state machine in a process of its own, as its Lambda runs it: the step's handler module
 * (lambdas/drift/<step>.handler.ts) with the event given as JSON, its result written to stderr for bench/drift-run.ts
 * after STEP_RESULT_MARKER.
 */
export const STEP_RESULT_MARKER = 'DRIFT_STEP_RESULT';

async function main(): Promise<void> {
  const [step, event] = process.argv.slice(2);
  const { handler } = (await import(`../lambdas/drift/${step}.handler`)) as { handler: (event: unknown) => Promise<unknown> };
  const result = await handler(JSON.parse(event));
  process.stderr.write(`${STEP_RESULT_MARKER} ${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
    process.exit(1);
  });
}
