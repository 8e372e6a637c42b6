import { z } from 'zod';
import { CloudAssemblyError } from '../assembly/cloud-assembly';
import { StackUpdateError, type StackChangeSummary } from '../assembly/change-set';
import { IntrinsicError } from '../assembly/intrinsics';
import { StackUpdateRolledBackError } from '../update/stack-update';
import { json, type Route } from './twin-server';

const requestSchema = z.object({ cdkOut: z.string().min(1) }).strict();

/** What `POST /twin/stack-update` answers with: the change set per stack. */
export interface StackUpdateResponse {
  readonly changeSet: StackChangeSummary[];
}

/**
 * `POST /twin/stack-update {"cdkOut": "<directory>"}` applies a newly synthesized cloud assembly to the running twin
 * (what `npm start -- --update` calls). 200 with the change set; 400 for a request, assembly or update CloudFormation
 * would refuse; 409 for an update that failed and was rolled back. Errors are `{ error, message }`.
 */
export function stackUpdateRoute(update: (cdkOut: string) => Promise<StackChangeSummary[]>): Route {
  return async (request) => {
    if (request.url.pathname !== '/twin/stack-update') return undefined;
    if (request.method !== 'POST') return json(405, { error: 'MethodNotAllowed', message: 'POST {"cdkOut": "<directory>"}' });
    let body: unknown;
    try {
      body = JSON.parse(request.body.toString('utf8') || '{}');
    } catch {
      return json(400, { error: 'InvalidRequest', message: 'the body is not JSON' });
    }
    const parsed = requestSchema.safeParse(body);
    if (!parsed.success) {
      return json(400, { error: 'InvalidRequest', message: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') });
    }
    try {
      return json(200, { changeSet: await update(parsed.data.cdkOut) } satisfies StackUpdateResponse);
    } catch (err) {
      if (err instanceof StackUpdateRolledBackError) return json(409, { error: err.name, message: err.message });
      if (err instanceof StackUpdateError || err instanceof CloudAssemblyError || err instanceof IntrinsicError) return json(400, { error: err.name, message: err.message });
      throw err;
    }
  };
}
