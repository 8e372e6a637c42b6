// @ts-check
/** The console shell: config and sign-in, header with identity, navigation, hash routing and a calm auto-refresh loop. */
import { createClient } from './api';
import { Auth } from './auth';
import { errorNote, h } from './dom';
import { parseConsoleConfig } from '../../contracts/console-config';
import { activityView } from './views/activity';
import { dashboardView } from './views/dashboard';
import { modelView } from './views/model';
import { modelsView } from './views/models';
import { runsView } from './views/runs';
import { versionView } from './views/version';

const REFRESH_MILLIS = 3000;

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const identity = /** @type {HTMLElement} */ (document.getElementById('identity'));
const status = h('p', { class: 'view-status', role: 'status', 'aria-live': 'polite' });

/** @type {import('./app-context').View | undefined} */
let current;
let refreshing = false;
let refreshAgain = false;
/** @type {import('./app-context').AppContext | undefined} */
let context;

/**
 * @param {import('./app-context').AppContext} context
 * @param {string} hash
 * @returns {import('./app-context').View}
 */
function route(context, hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [section, a, b, c] = parts;
  if (section === 'models' && a && b === 'versions' && c) return versionView(context, a, Number(c));
  if (section === 'models' && a) return modelView(context, a);
  // The twin's own views (`/twin/*`: executions, dashboards, activity) exist only there.
  if (context.twin && section === 'runs') return runsView(context, a);
  if (context.twin && section === 'dashboard') return dashboardView(context);
  if (context.twin && section === 'activity') return activityView(context);
  return modelsView(context);
}

function navigate() {
  if (!context) return;
  current?.dispose?.();
  current = route(context, location.hash);
  document.title = `${current.title} · MLOps console`;
  status.replaceChildren();
  main.replaceChildren(status, current.element);
  const section = location.hash.replace(/^#\/?/, '').split('/')[0] || 'models';
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.getAttribute('data-nav') === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  void refresh();
}

/** One refresh at a time; a request made meanwhile runs once the current one ends. */
async function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  const view = current;
  try {
    await view?.refresh();
    if (view === current) status.replaceChildren();
  } catch (err) {
    if (view === current) status.replaceChildren(errorNote(`Could not load: ${err instanceof Error ? err.message : String(err)}`));
  } finally {
    refreshing = false;
    if (refreshAgain) {
      refreshAgain = false;
      void refresh();
    }
  }
}

/**
 * The page before anyone is signed in: one button to the hosted sign-in, and why the last attempt failed, if it did.
 * @param {Auth} auth
 * @param {string} [problem]
 */
function showSignIn(auth, problem) {
  context = undefined;
  identity.replaceChildren();
  const button = h('button', { type: 'button', class: 'button button--primary' }, 'Sign in');
  button.addEventListener('click', () => void auth.signIn());
  main.replaceChildren(
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'sign-in-heading' },
      h('h1', { id: 'sign-in-heading' }, 'Sign in'),
      h('p', { class: 'muted' }, 'The console acts with your identity: approvals, rejections and aborts are recorded under your name, and offered only to the roles your groups hold.'),
      problem ? errorNote(problem) : null,
      button,
    ),
  );
  document.title = 'Sign in · MLOps console';
}

/**
 * @param {Auth} auth
 * @param {Set<string>} roles
 */
function showIdentity(auth, roles) {
  if (!auth.enabled) return;
  const signOut = h('button', { type: 'button', class: 'button' }, 'Sign out');
  signOut.addEventListener('click', () => auth.signOut());
  identity.replaceChildren(
    h('span', {}, 'Signed in as ', h('strong', { 'data-testid': 'signed-in-as' }, auth.who ?? '')),
    h('span', { class: 'muted', 'data-testid': 'roles' }, roles.size ? `(${[...roles].sort().join(', ')})` : '(read only)'),
    signOut,
  );
}

/** Team and stack names from the twin, for the header. */
async function showStacks(/** @type {import('./api').Client} */ client) {
  const container = /** @type {HTMLElement} */ (document.getElementById('twin-stacks'));
  const target = /** @type {HTMLElement} */ (document.getElementById('stack-name'));
  container.hidden = false;
  try {
    const state = await client.twinState();
    const names = state.stacks.map((stack) => stack.stackName);
    target.textContent = names.filter(Boolean).join(', ') || 'local twin';
  } catch {
    target.textContent = 'twin unreachable';
  }
}

async function start() {
  /** @type {import('../../contracts/console-config').ConsoleConfig} */
  let config;
  try {
    const response = await fetch('./config.json', { cache: 'no-store' });
    config = parseConsoleConfig(await response.json());
  } catch (err) {
    main.replaceChildren(errorNote(`The console could not read its config.json: ${err instanceof Error ? err.message : String(err)}`));
    return;
  }
  const auth = new Auth(config);
  const problem = await auth.completeSignIn();
  if (auth.enabled && !auth.token) {
    showSignIn(auth, problem);
    return;
  }
  const client = createClient(auth, () => showSignIn(auth, 'Your session has ended. Sign in again.'));
  /** @type {Set<string>} */
  let roles = new Set();
  try {
    roles = await client.roles();
  } catch (err) {
    status.replaceChildren(errorNote(`Could not read your roles: ${err instanceof Error ? err.message : String(err)}`));
  }
  if (auth.enabled && !auth.token) return;
  showIdentity(auth, roles);
  for (const link of document.querySelectorAll('[data-twin-only]')) /** @type {HTMLElement} */ (link).hidden = !config.twin;
  if (config.twin) void showStacks(client);
  context = {
    client,
    auth,
    twin: config.twin,
    who: () => auth.who ?? 'anonymous',
    can: (role) => roles.has(role),
    now: () => Date.now(),
    refreshSoon: () => void refresh(),
  };
  window.addEventListener('hashchange', navigate);
  navigate();
  setInterval(() => {
    if (context && document.visibilityState === 'visible') void refresh();
  }, REFRESH_MILLIS);
}

void start();
