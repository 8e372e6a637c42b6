/**
 * The console's config.json: where the approval API is and how to sign in.
 * Producers: ApprovalConsole in AWS (lib/approval-console.ts) and the twin (local/http/console-api.ts).
 * Consumers: the console at start (console/src/main.js, console/src/auth.js, console/src/lib/sign-in.ts).
 */
import { z } from 'zod';

/**
 * What the console reads at start (`./config.json`): where the approval API is and how to sign in. ApprovalConsole
 * deploys it beside the bundle in AWS (lib/approval-console.ts); the twin serves its own (local/http/console-api.ts).
 */
export interface ConsoleConfig {
  /** The approval API's base URL (ends with `/`), or a path on the console's origin. */
  readonly apiUrl: string;
  /** The hosted sign-in of the API's user pool; absent when the API takes no token. */
  readonly auth?: {
    readonly authorizeUrl: string;
    readonly tokenUrl: string;
    readonly logoutUrl: string;
    readonly clientId: string;
    readonly scopes: readonly string[];
  };
  /** Only the twin has dashboards and executions of its own to show (`/twin/*`). */
  readonly twin: boolean;
}

const httpUrl = z.string().min(1).refine((url) => /^(https?:\/\/|\/)/.test(url), 'expected an http(s) URL or a path on this origin');

/** `./config.json`: written by ApprovalConsole's deployment in AWS, served by the twin locally. */
const consoleConfigSchema: z.ZodType<ConsoleConfig> = z.object({
  apiUrl: httpUrl,
  auth: z
    .object({
      authorizeUrl: httpUrl,
      tokenUrl: httpUrl,
      logoutUrl: httpUrl,
      clientId: z.string().min(1),
      scopes: z.array(z.string().min(1)).min(1),
    })
    .optional(),
  twin: z.boolean(),
});

/** Reads config.json, naming every bad field. */
export function parseConsoleConfig(raw: unknown): ConsoleConfig {
  const parsed = consoleConfigSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`config.json: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

