import type { AliasRouting, InferenceFunction } from '../../../lambdas/deployment/inference-function';

/**
 * An in-memory Lambda function with versions and an alias (there is no Lambda stand-in to run here). Invoking a
 * version runs `predict` with that version's MODEL_VERSION and answers like a function URL handler.
 */
export class FakeInferenceFunction implements InferenceFunction {
  readonly env: Record<string, string> = { MODEL_NAME: 'card-fraud', CAPTURE_SAMPLE_PERCENT: '10', MODEL_VERSION: '' };
  /** Published versions' environments; version 1 is what the stack deployed, serving no model yet. */
  readonly versions = new Map<string, Record<string, string>>([['1', { ...this.env }]]);
  alias: AliasRouting = { functionVersion: '1', weights: {} };
  readonly requests: { functionVersion: string; headers: Record<string, string>; rows: number }[] = [];

  constructor(private readonly predict: (modelVersion: number, row: number[]) => number) {}

  async publishModelVersion(modelVersion: number): Promise<string> {
    this.env.MODEL_VERSION = String(modelVersion);
    const version = String(this.versions.size + 1);
    this.versions.set(version, { ...this.env });
    return version;
  }

  async getAlias(): Promise<AliasRouting> {
    return structuredClone(this.alias);
  }

  async routeAlias(functionVersion: string, canary?: { functionVersion: string; weight: number }): Promise<void> {
    for (const v of [functionVersion, canary?.functionVersion]) {
      if (v !== undefined && !this.versions.has(v)) throw new Error(`no function version ${v}`);
    }
    this.alias = { functionVersion, weights: canary ? { [canary.functionVersion]: canary.weight } : {} };
  }

  async invoke(functionVersion: string, payload: unknown): Promise<unknown> {
    const env = this.versions.get(functionVersion);
    if (!env) throw new Error(`no function version ${functionVersion}`);
    const event = payload as { headers: Record<string, string>; body: string; rawPath: string };
    const { instances } = JSON.parse(event.body) as { instances: number[][] };
    this.requests.push({ functionVersion, headers: event.headers, rows: instances.length });
    const modelVersion = Number(env.MODEL_VERSION);
    const predictions = instances.map((row) => {
      const p = this.predict(modelVersion, row);
      return { label: p > 0.5 ? 1 : 0, probabilities: [1 - p, p] };
    });
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ predictions, modelVersion }) };
  }
}
