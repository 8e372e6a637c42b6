// @ts-check
/**
 * Talks to the twin (`/twin/*`) and to the approval API. The console is a plain client of the approval API: the
 * approver is whoever the bearer token names, and the body only carries the comment.
 */

/** Where the twin mounts the approval API on its HTTP port. */
export const API_PREFIX = '/api';
const EMAIL_KEY = 'mlops-console.email';
export const DEFAULT_EMAIL = 'you@localhost';

/** An HTTP error with the message the server gave, ready to show inline. */
export class ApiError extends Error {
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

/** The signed-in local user and their token from the twin's identity provider. */
export class Session {
  constructor() {
    this.email = localStorage.getItem(EMAIL_KEY) || DEFAULT_EMAIL;
    /** @type {Promise<string> | undefined} */
    this.token = undefined;
    /** @type {Set<() => void>} */
    this.listeners = new Set();
  }

  /** @param {string} email */
  signIn(email) {
    this.email = email.trim() || DEFAULT_EMAIL;
    localStorage.setItem(EMAIL_KEY, this.email);
    this.token = undefined;
    this.listeners.forEach((listener) => listener());
  }

  /** @returns {Promise<string>} */
  getToken() {
    this.token ??= postJson('/twin/auth/token', { email: this.email })
      .then(readJson)
      .then((body) => String(body.token))
      .catch((err) => {
        this.token = undefined;
        throw err;
      });
    return this.token;
  }
}

/**
 * A call to the approval API with the session's bearer token; a 401 (expired token) is retried once with a new one.
 * @param {Session} session
 * @param {string} path
 * @param {RequestInit} [init]
 */
async function apiCall(session, path, init = {}) {
  for (let attempt = 0; ; attempt += 1) {
    const token = await session.getToken();
    const response = await fetch(`${API_PREFIX}${path}`, {
      ...init,
      headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), authorization: `Bearer ${token}` },
    });
    if (response.status === 401 && attempt === 0) {
      session.token = undefined;
      continue;
    }
    return readJson(response);
  }
}

/** @param {string} segment */
const enc = (segment) => encodeURIComponent(segment);

/** @param {Session} session */
export function createClient(session) {
  return {
    /** @returns {Promise<import('./lib/twin-types').TwinState>} */
    twinState: () => fetch('/twin/state').then(readJson),
    /** @returns {Promise<{ dashboards: { name: string, body: import('./lib/twin-types').DashboardBody | string }[] }>} */
    dashboards: () => fetch('/twin/dashboard').then(readJson),
    /**
     * @param {{ queries: ReturnType<typeof import('./lib/dashboard-model').metricQueries>, start?: string, end?: string }} request
     * @returns {Promise<{ results: { id: string, timestamps: (string | number)[], values: number[] }[] }>}
     */
    metrics: (request) => postJson('/twin/metrics', request).then(readJson),
    /** @returns {Promise<{ models: import('./lib/twin-types').ModelSummary[] }>} */
    models: () => apiCall(session, '/models'),
    /**
     * @param {string} model
     * @returns {Promise<import('./lib/twin-types').ModelDetail>}
     */
    model: (model) => apiCall(session, `/models/${enc(model)}`),
    /**
     * @param {string} model
     * @returns {Promise<{ runs: import('./lib/twin-types').Run[] }>}
     */
    runs: (model) => apiCall(session, `/models/${enc(model)}/runs`),
    /**
     * @param {string} model
     * @param {number | string} version
     * @returns {Promise<import('./lib/twin-types').VersionDetail>}
     */
    version: (model, version) => apiCall(session, `/models/${enc(model)}/versions/${enc(String(version))}`),
    /**
     * @param {string} model
     * @param {number | string} version
     * @param {'approve' | 'reject'} decision
     * @param {string} comment
     */
    decide: (model, version, decision, comment) =>
      apiCall(session, `/models/${enc(model)}/versions/${enc(String(version))}/${decision}`, {
        method: 'POST',
        body: JSON.stringify({ comment }),
      }),
    /**
     * Stops the deployment in progress (its execution) and rolls it back, as `mlops deployments abort` does.
     * @param {string} model
     * @param {string} comment
     */
    abortDeployment: (model, comment) =>
      apiCall(session, `/models/${enc(model)}/deployment/abort`, { method: 'POST', body: JSON.stringify({ comment }) }),
  };
}

/** @typedef {ReturnType<typeof createClient>} Client */
