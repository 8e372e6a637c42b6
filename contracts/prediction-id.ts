/**
 * The id of row `row` (0-based, request order) of the request `requestId`: `<requestId>:<row>`. Unique as long as
 * request ids are (a function URL's are UUIDs; the container server takes the caller's `x-request-id`, else a UUID). A
 * module of its own, without the label schemas of contracts/ground-truth.ts, which the inference function does not load.
 * Producers: the inference tier (lambdas/inference/: `predictionIds` in its response, `predictionId` in captured rows).
 * Consumers: the quality job, which joins labels to captured predictions by it (lambdas/quality/), and teams' label files
 * and feedback requests (contracts/ground-truth.ts).
 */
export const predictionId = (requestId: string, row: number) => `${requestId}:${row}`;
