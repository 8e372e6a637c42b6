// @ts-check
import { errorNote, h } from '../dom';
import { formatRelative, formatTimestamp } from '../lib/format';
import { isAwaitingDecision } from '../lib/status';

/**
 * The shadow test of a version, beside the Approve button: whether it runs, its hourly reports (newest first), and
 * Start / Stop for people with the developer or approver role (the approval API decides; contracts/shadow-test.ts).
 * @param {import('../app-context').AppContext} context
 * @param {{ model: string, version: number, status: import('../../../contracts/registry-events').VersionStatus, shadow: import('../../../contracts/shadow-test').ShadowState | null, reports: import('../../../contracts/shadow-test').ShadowReport[], mayRun: boolean, now: number }} data
 */
export function shadowPanel(context, { model, version, status, shadow, reports, mayRun, now }) {
  const running = shadow?.version === version;
  if (!running && reports.length === 0 && !(isAwaitingDecision(status) && mayRun)) return [];
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'shadow-heading', 'data-testid': 'shadow-panel' },
    h('h2', { id: 'shadow-heading' }, 'Shadow test'),
    h(
      'p',
      { class: 'muted', 'data-testid': 'shadow-state' },
      running
        ? `In shadow since ${formatRelative(shadow.startedAt, now)} (by ${shadow.startedBy}): ${shadow.samplePercent}% of live requests are copied to this version; callers only see the live version's answers.`
        : shadow
          ? `v${shadow.version} is in shadow now; a model has one shadow test at a time.`
          : 'Not in shadow. A shadow test copies a share of live requests to this version and compares its answers with the live ones every hour, before anyone approves.',
    ),
    reports.length ? reportTable(reports) : running ? h('p', { class: 'empty' }, 'No report yet: the first comes within the hour.') : null,
    mayRun && isAwaitingDecision(status) && (running || !shadow) ? shadowForm(context, model, version, running) : null,
  );
}

/** @param {import('../../../contracts/shadow-test').ShadowReport[]} reports */
function reportTable(reports) {
  /** @param {number | null} value @param {number} digits */
  const fixed = (value, digits) => (value === null ? '—' : value.toFixed(digits));
  const columns = ['Hour to', 'Vs', 'Rows', 'Errors', 'Label agreement', 'Mean abs. diff.', 'PSI', 'p50 ms', 'p99 ms'];
  return h(
    'table',
    { class: 'table table--compact', 'data-testid': 'shadow-reports' },
    h('thead', {}, h('tr', {}, columns.map((c, i) => h('th', { scope: 'col', class: i > 1 ? 'numeric' : undefined }, c)))),
    h(
      'tbody',
      {},
      [...reports].reverse().map((r) =>
        h(
          'tr',
          {},
          h('td', {}, h('time', { datetime: r.windowEnd, title: formatTimestamp(r.windowEnd) }, formatTimestamp(r.windowEnd))),
          h('td', {}, r.liveVersion === null ? '—' : `v${r.liveVersion}`),
          h('td', { class: 'numeric' }, String(r.rows)),
          h('td', { class: 'numeric' }, String(r.errors)),
          h('td', { class: 'numeric' }, r.agreementRate === null ? '—' : `${(100 * r.agreementRate).toFixed(1)}%`),
          h('td', { class: 'numeric' }, fixed(r.meanAbsoluteDifference, 4)),
          h('td', { class: 'numeric' }, fixed(r.predictionPsi, 4)),
          h('td', { class: 'numeric' }, fixed(r.latencyP50Ms, 1)),
          h('td', { class: 'numeric' }, fixed(r.latencyP99Ms, 1)),
        ),
      ),
    ),
  );
}

/**
 * Start or Stop, with the comment the audit trail records.
 * @param {import('../app-context').AppContext} context
 * @param {string} model
 * @param {number} version
 * @param {boolean} running
 */
function shadowForm(context, model, version, running) {
  const comment = h('input', { id: 'shadow-comment', name: 'comment', type: 'text', required: true, maxlength: 1000 });
  const feedback = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'button' }, running ? 'Stop shadow' : 'Start shadow');
  const form = h('form', { novalidate: true, 'data-testid': 'shadow-form' }, h('label', { for: 'shadow-comment' }, 'Reason for the shadow test (required)'), comment, h('div', { class: 'button-row' }, button), feedback);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = comment.value.trim();
    if (!text) {
      feedback.replaceChildren(errorNote('A comment is required: it goes into the audit trail.'));
      return;
    }
    button.disabled = true;
    try {
      await (running ? context.client.stopShadow(model, text) : context.client.startShadow(model, version, text));
      feedback.replaceChildren(h('p', { class: 'note note--success' }, running ? 'Shadow test stopped.' : 'Shadow test started.'));
      context.refreshSoon();
    } catch (err) {
      feedback.replaceChildren(errorNote(`Could not ${running ? 'stop' : 'start'} the shadow test: ${err instanceof Error ? err.message : String(err)}`));
      button.disabled = false;
    }
  });
  return form;
}
