import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { CopiedRequest, ShadowBatch, ShadowState } from '../../contracts/shadow-test';

/** Where the live tier learns which version, if any, runs in shadow: the registry's model item. */
export interface ShadowStateSource {
  current(model: string): Promise<ShadowState | undefined>;
}

/** Hands a batch of copied requests to the shadow; resolves once it is accepted (not answered). */
export interface ShadowSender {
  send(batch: ShadowBatch, signal?: AbortSignal): Promise<void>;
}

export interface ShadowCopiesOptions {
  /** How often the shadow state is read again; a stop reaches the live tier within it. @default 30,000 */
  readonly refreshMs?: number;
  /** Most copied requests held between flushes; beyond it copies are dropped and counted. @default 2,000 */
  readonly maxBufferedRequests?: number;
  /** Largest event sent at once, in bytes of JSON (Lambda takes 256 KiB per asynchronous event). @default 200,000 */
  readonly maxEventBytes?: number;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default Date.now */
  readonly clock?: () => number;
}

export interface ShadowFlushResult {
  /** Requests handed to the shadow. */
  sent: number;
  /** Requests whose batch the shadow did not accept. */
  failed: number;
  /** Requests dropped because the buffer was full. */
  dropped: number;
}

/**
 * Copies a sampled share of live requests to the version in shadow. The live path only decides (`sample`) and buffers
 * (`add`): no I/O, nothing that can throw into a request. The owner's flush (the one that already delivers traffic
 * capture, at most once a second, in parallel with it) reads the shadow state when it is due and sends the buffered
 * copies as asynchronous invocations, so a slow, failing or absent shadow costs live requests nothing but that flush's
 * budget, and no shadow answer ever reaches a caller: the shadow function's answers go to S3.
 */
export class ShadowCopies {
  private state?: ShadowState;
  private readAt = Number.NEGATIVE_INFINITY;
  private buffer: { liveVersion: number; featureNames: readonly string[]; request: CopiedRequest }[] = [];
  private dropped = 0;
  private readonly random: () => number;
  private readonly clock: () => number;

  constructor(
    private readonly model: string,
    private readonly source: ShadowStateSource,
    private readonly sender: ShadowSender,
    private readonly options: ShadowCopiesOptions = {},
  ) {
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? Date.now;
  }

  /** Whether to copy the current request (a shadow runs, and the draw falls in its share). */
  sample(): boolean {
    const { state } = this;
    return state !== undefined && this.random() * 100 < state.samplePercent;
  }

  add(liveVersion: number, featureNames: readonly string[], request: CopiedRequest): void {
    // A shadow of the version that is live would compare a model with itself (it went live since the last read).
    if (this.state === undefined || this.state.version === liveVersion) return;
    if (this.buffer.length >= (this.options.maxBufferedRequests ?? 2000)) this.dropped++;
    else this.buffer.push({ liveVersion, featureNames, request });
  }

  /** Reads the shadow state now (the service primes it while the model loads); rejects when the read fails. */
  async refresh(): Promise<void> {
    this.state = await this.source.current(this.model);
    this.readAt = this.clock();
  }

  /** Reads the shadow state when due, then sends the buffered copies; never throws. */
  async flush(signal?: AbortSignal): Promise<ShadowFlushResult & { stateError?: Error }> {
    let stateError: Error | undefined;
    if (this.clock() - this.readAt >= (this.options.refreshMs ?? 30_000)) {
      // On failure keep what was known: the next flush reads again.
      stateError = await this.refresh().then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    }
    const { buffer, dropped } = this;
    this.buffer = [];
    this.dropped = 0;
    const { state } = this;
    // Stopped since these were copied: they are not sent.
    if (state === undefined || buffer.length === 0) return { sent: 0, failed: 0, dropped, ...(stateError && { stateError }) };
    let sent = 0;
    let failed = 0;
    await Promise.all(
      this.batches(buffer, state.version).map(async (batch) => {
        try {
          await this.sender.send(batch, signal);
          sent += batch.requests.length;
        } catch {
          failed += batch.requests.length;
        }
      }),
    );
    return { sent, failed, dropped, ...(stateError && { stateError }) };
  }

  /** The copies in events under the size limit, one live version and feature order per event. */
  private batches(buffer: ShadowCopies['buffer'], shadowVersion: number): ShadowBatch[] {
    const maxBytes = this.options.maxEventBytes ?? 200_000;
    const batches: ShadowBatch[] = [];
    let current: ShadowBatch | undefined;
    let bytes = 0;
    for (const { liveVersion, featureNames, request } of buffer) {
      const size = JSON.stringify(request).length + 1;
      if (!current || current.liveVersion !== liveVersion || bytes + size > maxBytes) {
        current = { kind: 'mlops-shadow-batch', model: this.model, liveVersion, shadowVersion, featureNames: [...featureNames], requests: [] };
        bytes = JSON.stringify(current).length;
        batches.push(current);
      }
      current.requests.push(request);
      bytes += size;
    }
    return batches;
  }
}

/**
 * Sends a batch as an asynchronous invocation (InvocationType Event) of the shadow function. The Lambda client is
 * loaded on the first send, not with the function: a container that never copies a request (no shadow test runs)
 * never pays for loading it at its cold start.
 */
export class LambdaShadowSender implements ShadowSender {
  private sdk?: Promise<{ client: LambdaClient; InvokeCommand: typeof import('@aws-sdk/client-lambda').InvokeCommand }>;

  constructor(private readonly functionName: string) {}

  async send(batch: ShadowBatch, signal?: AbortSignal): Promise<void> {
    this.sdk ??= import('./lambda-sdk').then(({ LambdaClient, InvokeCommand }) => ({ client: new LambdaClient({}), InvokeCommand }));
    const { client, InvokeCommand } = await this.sdk;
    const response = await client.send(
      new InvokeCommand({ FunctionName: this.functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(batch)) }),
      { abortSignal: signal },
    );
    if (response.StatusCode !== 202) throw new Error(`shadow function ${this.functionName} did not accept the batch (status ${response.StatusCode})`);
  }
}
