/**
 * The twin's state file (`.local/twin.json` by default), written while the twin is up and removed when it stops: where
 * its endpoints are and the outputs of its stacks, so the CLI talks to the twin without flags.
 * Producers: the twin (local/twin.ts), at the path of `--state-file` (local/driver/options.ts).
 * Consumers: the mlops CLI (bin/commands/cli-io.ts) and `npm start -- --update` (local/driver/stack-update-client.ts).
 */
import { z } from 'zod';

export const DEFAULT_TWIN_STATE_FILE = '.local/twin.json';

export const twinStateFileSchema = z.object({
  /** The twin's own server: the console, `/twin/*`, the AWS APIs the SDK clients call. */
  twinUrl: z.url(),
  consoleUrl: z.url(),
  /** The approval API (the only HTTP API, or the first of several); absent when the app has none. */
  apiUrl: z.url().optional(),
  /** The first function URL (the inference tier); absent when the app has none. */
  inferenceUrl: z.url().optional(),
  dynamodbEndpoint: z.url(),
  s3Endpoint: z.url(),
  region: z.string().min(1),
  stacks: z.record(z.string(), z.object({ outputs: z.record(z.string(), z.string()) })),
});
export type TwinStateFile = z.infer<typeof twinStateFileSchema>;
