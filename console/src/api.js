// @ts-check
/**
 * Talks to the approval API (config.apiUrl) and, in the twin, to the twin (`/twin/*`). The console is a plain client
 * of the approval API: the approver is whoever the bearer token names, the body only carries the comment, and the
 * server decides who may do what.
 */
import { meSchema } from './lib/sign-in';

/** An HTTP error with the message the server gave, ready to show inline. */
class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/**
 * @param {Response} response
 * @returns {Promise<any>}
 */
async function readJson(response) {
  const text = await response.text();
  /** @type {any} */
  let body;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { message: text.slice(0, 200) };
  }
  if (!response.ok) throw new ApiError(response.status, body?.message ?? `${response.status} ${response.statusText}`);
  return body;
}

/**
 * @param {string} path
 * @param {unknown} body
 * @param {Record<string, string>} [headers]
 */
const postJson = (path, body, headers = {}) =>
  fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/**
 * A call to the approval API with the signed-in person's ID token. A 401 means the token is no longer good: it is
 * forgotten and `onSignedOut` asks the person to sign in again.
 * @param {import('./auth').Auth} auth
 * @param {() => void} onSignedOut
 * @param {string} path
 * @param {RequestInit} [init]
 */
async function apiCall(auth, onSignedOut, path, init = {}) {
  const token = auth.token;
  const base = auth.config.apiUrl.replace(/\/$/, '');
  const response = await fetch(`${base}${path}`, {
    ...init,
    headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  if (response.status === 401 && auth.enabled) {
    auth.forget();
    onSignedOut();
  }
  return readJson(response);
}

/** @param {string} segment */
const enc = (segment) => encodeURIComponent(segment);

/**
 * @param {import('./auth').Auth} auth
 * @param {() => void} onSignedOut
 */
export function createClient(auth, onSignedOut) {
  /**
   * @param {string} path
   * @param {RequestInit} [init]
   */
  const call = (path, init) => apiCall(auth, onSignedOut, path, init);
  return {
    /**
     * The roles the server decided the caller holds. An API without `GET /me` (404) grants none the console can show.
     * @returns {Promise<Set<string>>}
     */
    roles: async () => {
      try {
        return new Set(meSchema.parse(await call('/me')).roles);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return new Set();
        throw err;
      }
    },
    /** @returns {Promise<import('../../contracts/twin-api').TwinState>} */
    twinState: () => fetch('/twin/state').then(readJson),
    /** @returns {Promise<import('../../contracts/twin-api').DashboardsResponse>} */
    dashboards: () => fetch('/twin/dashboard').then(readJson),
    /**
     * @param {import('../../contracts/twin-api').MetricsRequest} request
     * @returns {Promise<import('../../contracts/twin-api').MetricsResponse>}
     */
    metrics: (request) => postJson('/twin/metrics', request).then(readJson),
    /** @returns {Promise<{ models: import('../../contracts/registry-api').ModelView[] }>} */
    models: () => call('/models'),
    /**
     * @param {string} model
     * @returns {Promise<import('../../contracts/registry-api').ModelDetailView>}
     */
    model: (model) => call(`/models/${enc(model)}`),
    /**
     * @param {string} model
     * @returns {Promise<{ runs: import('../../contracts/registry-api').RunRecord[] }>}
     */
    runs: (model) => call(`/models/${enc(model)}/runs`),
    /**
     * @param {string} model
     * @param {number | string} version
     * @returns {Promise<import('../../contracts/registry-api').VersionView>}
     */
    version: (model, version) => call(`/models/${enc(model)}/versions/${enc(String(version))}`),
    /**
     * @param {string} model
     * @param {number | string} version
     * @param {'approve' | 'reject'} decision
     * @param {string} comment
     */
    decide: (model, version, decision, comment) =>
      call(`/models/${enc(model)}/versions/${enc(String(version))}/${decision}`, {
        method: 'POST',
        body: JSON.stringify({ comment }),
      }),
    /**
     * Puts a pending version in shadow (the default share of live requests), as `mlops models shadow` does.
     * @param {string} model
     * @param {number | string} version
     * @param {string} comment
     */
    startShadow: (model, version, comment) =>
      call(`/models/${enc(model)}/versions/${enc(String(version))}/shadow`, { method: 'POST', body: JSON.stringify({ comment }) }),
    /**
     * Stops the model's shadow test, as `mlops models shadow --stop` does.
     * @param {string} model
     * @param {string} comment
     */
    stopShadow: (model, comment) => call(`/models/${enc(model)}/shadow/stop`, { method: 'POST', body: JSON.stringify({ comment }) }),
    /**
     * Stops the deployment in progress (its execution) and rolls it back, as `mlops deployments abort` does.
     * @param {string} model
     * @param {string} comment
     */
    abortDeployment: (model, comment) =>
      call(`/models/${enc(model)}/deployment/abort`, { method: 'POST', body: JSON.stringify({ comment }) }),
    /**
     * Rolls back the live version (the previous one is restored), as `mlops models rollback` does.
     * @param {string} model
     * @param {string} comment
     */
    rollback: (model, comment) => call(`/models/${enc(model)}/rollback`, { method: 'POST', body: JSON.stringify({ comment }) }),
  };
}

/** @typedef {ReturnType<typeof createClient>} Client */
