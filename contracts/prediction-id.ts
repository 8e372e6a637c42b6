/**
 * The id of row `row` (0-based, request order) of the request `requestId`: `<requestId>:<row>`. The inference tier
 * returns these as `predictionIds` and captures them; labels name a prediction by it (contracts/ground-truth.ts). Unique
 * as long as request ids are (a function URL's are UUIDs; the container server takes the caller's `x-request-id`, else
 * a UUID). A module of its own: the inference function imports it without the label schemas.
 */
export const predictionId = (requestId: string, row: number) => `${requestId}:${row}`;
