// @ts-check
/** The console shell: header with identity, navigation, hash routing and a calm auto-refresh loop. */
import { createClient, Session } from './api';
import { errorNote, h } from './dom';
import { activityView } from './views/activity';
import { dashboardView } from './views/dashboard';
import { modelView } from './views/model';
import { modelsView } from './views/models';
import { runsView } from './views/runs';
import { versionView } from './views/version';

const REFRESH_MILLIS = 3000;

const session = new Session();
const client = createClient(session);

/** @type {import('./app-context').View | undefined} */
let current;
let refreshing = false;
let refreshAgain = false;
const status = h('p', { class: 'view-status', role: 'status', 'aria-live': 'polite' });
const main = /** @type {HTMLElement} */ (document.getElementById('main'));

/** @type {import('./app-context').AppContext} */
const context = { client, session, now: () => Date.now(), refreshSoon: () => void refresh() };

/**
 * @param {string} hash
 * @returns {import('./app-context').View}
 */
function route(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [section, a, b, c] = parts;
  if (section === 'models' && a && b === 'versions' && c) return versionView(context, a, Number(c));
  if (section === 'models' && a) return modelView(context, a);
  if (section === 'runs') return runsView(context, a);
  if (section === 'dashboard') return dashboardView(context);
  if (section === 'activity') return activityView(context);
  return modelsView(context);
}

function navigate() {
  current?.dispose?.();
  current = route(location.hash);
  document.title = `${current.title} · MLOps console`;
  status.replaceChildren();
  main.replaceChildren(status, current.element);
  const section = (location.hash.replace(/^#\/?/, '').split('/')[0] || 'models');
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

/** Team and stack names from the twin, for the header. */
async function showStacks() {
  const target = /** @type {HTMLElement} */ (document.getElementById('stack-name'));
  try {
    const state = await client.twinState();
    const names = state.stacks.map((stack) =>
      typeof stack === 'string' ? stack : String(/** @type {Record<string, unknown>} */ (stack).stackName ?? /** @type {Record<string, unknown>} */ (stack).name ?? ''),
    );
    target.textContent = names.filter(Boolean).join(', ') || 'local twin';
  } catch {
    target.textContent = 'twin unreachable';
  }
}

function setUpIdentity() {
  const form = /** @type {HTMLFormElement} */ (document.getElementById('identity'));
  const input = /** @type {HTMLInputElement} */ (document.getElementById('identity-email'));
  input.value = session.email;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    session.signIn(input.value);
    input.value = session.email;
    // Views show who acts; rebuild the current one for the new identity.
    navigate();
  });
}

setUpIdentity();
void showStacks();
window.addEventListener('hashchange', navigate);
navigate();
setInterval(() => {
  if (document.visibilityState === 'visible') void refresh();
}, REFRESH_MILLIS);
