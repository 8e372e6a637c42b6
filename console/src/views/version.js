// @ts-check
import { splitComparisonChart } from '../charts';
import { badge, errorNote, facts, h, patch } from '../dom';
import { formatMetricValue, formatRelative, formatTimestamp, shortDigest } from '../lib/format';
import { isAwaitingDecision, versionStatusBadge } from '../lib/status';
import { shadowPanel } from './shadow-panel';

/** Splits in the order a reader compares them. */
const SPLIT_ORDER = ['train', 'validation', 'holdout'];

/**
 * One version: decision panel, metrics, lineage and audit trail.
 * @param {import('../app-context').AppContext} context
 * @param {string} model
 * @param {number} version
 * @returns {import('../app-context').View}
 */
export function versionView(context, model, version) {
  const heading = h('div', { class: 'title-row' });
  const decision = h('div');
  const shadow = h('div');
  const metrics = h('div');
  const lineage = h('div');
  const audit = h('div');
  const element = h(
    'section',
    { 'aria-labelledby': 'version-heading' },
    h(
      'nav',
      { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/models' }, 'Models'),
      ' / ',
      h('a', { href: `#/models/${encodeURIComponent(model)}` }, model),
      ' / ',
      h('span', { 'aria-current': 'page' }, `v${version}`),
    ),
    heading,
    decision,
    shadow,
    h('div', { class: 'columns' }, h('div', {}, h('h2', {}, 'Metrics'), metrics), h('div', {}, h('h2', {}, 'Lineage'), lineage)),
    h('h2', {}, 'Audit trail'),
    audit,
  );
  return {
    element,
    title: `${model} v${version}`,
    async refresh() {
      const [detail, modelDetail] = await Promise.all([context.client.version(model, version), context.client.model(model)]);
      patch(heading, { status: detail.status }, ({ status }) => [
        h('h1', { id: 'version-heading' }, `${model} v${version}`),
        h('span', { 'data-testid': 'version-status' }, badge(versionStatusBadge(status))),
      ]);
      // Keyed on the status only: a refresh never rebuilds the form while someone types a comment.
      const mayDecide = context.can('approver');
      patch(decision, { status: detail.status, mayDecide }, ({ status, mayDecide }) =>
        !isAwaitingDecision(status) ? [] : mayDecide ? decisionForm(context, model, version) : h('p', { class: 'note', 'data-testid': 'decision-needs-role' }, 'This version awaits approval by a person with the approver role.'),
      );
      // Keyed without the clock: a refresh never rebuilds the form while someone types a comment.
      const mayRun = context.can('developer') || context.can('approver');
      patch(shadow, { status: detail.status, shadow: modelDetail.shadow, reports: detail.shadowReports, mayRun }, (data) =>
        shadowPanel(context, { model, version, ...data, now: context.now() }),
      );
      patch(metrics, { metrics: detail.metrics, primary: detail.primaryMetric }, ({ metrics, primary }) => metricsSection(metrics, primary));
      patch(lineage, { lineage: detail.lineage, artifact: detail.artifact, deployment: detail.deployment, description: detail.description, twin: context.twin }, lineageSection);
      patch(audit, { audit: detail.audit, minute: Math.floor(context.now() / 60_000) }, ({ audit }) => auditTrail(audit, context.now()));
    },
  };
}

/**
 * Approve / Reject with a required comment. The approver is the signed-in identity carried by the token.
 * @param {import('../app-context').AppContext} context
 * @param {string} model
 * @param {number} version
 */
function decisionForm(context, model, version) {
  const comment = h('textarea', { id: 'decision-comment', name: 'comment', rows: 3, required: true, maxlength: 1000, 'aria-describedby': 'decision-help' });
  const feedback = h('div', { 'aria-live': 'polite' });
  const approve = h('button', { type: 'submit', class: 'button button--primary', value: 'approve' }, 'Approve');
  const reject = h('button', { type: 'submit', class: 'button button--danger', value: 'reject' }, 'Reject');
  const form = h(
    'form',
    { class: 'panel panel--decision', 'aria-labelledby': 'decision-heading', novalidate: true },
    h('h2', { id: 'decision-heading' }, 'Decision'),
    h('p', { id: 'decision-help', class: 'muted' }, `This version awaits approval. Approving starts the deployment flow (holdout check, canary, promotion). You act as ${context.who()}.`),
    h('label', { for: 'decision-comment' }, 'Comment (required)'),
    comment,
    h('div', { class: 'button-row' }, approve, reject),
    feedback,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const submitter = /** @type {SubmitEvent} */ (event).submitter;
    const action = submitter instanceof HTMLButtonElement && submitter.value === 'reject' ? 'reject' : 'approve';
    const text = comment.value.trim();
    if (!text) {
      feedback.replaceChildren(errorNote('A comment is required: say why you approve or reject this version.'));
      comment.setAttribute('aria-invalid', 'true');
      comment.focus();
      return;
    }
    comment.removeAttribute('aria-invalid');
    for (const button of [approve, reject]) button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    feedback.replaceChildren(h('p', { class: 'note' }, action === 'approve' ? 'Approving…' : 'Rejecting…'));
    try {
      await context.client.decide(model, version, action, text);
      feedback.replaceChildren(h('p', { class: 'note note--success' }, action === 'approve' ? 'Approved. The deployment flow is starting.' : 'Rejected.'));
      context.refreshSoon();
    } catch (err) {
      feedback.replaceChildren(errorNote(`Could not ${action}: ${err instanceof Error ? err.message : String(err)}`));
      for (const button of [approve, reject]) button.disabled = false;
    } finally {
      form.removeAttribute('aria-busy');
    }
  });
  return form;
}

/**
 * @param {Record<string, Record<string, number>>} metrics
 * @param {string | null} primary
 */
function metricsSection(metrics, primary) {
  const splits = Object.keys(metrics).sort((a, b) => rank(a) - rank(b));
  const names = [...new Set(splits.flatMap((split) => Object.keys(metrics[split])))].sort();
  if (names.length === 0) return h('p', { class: 'empty' }, 'No metrics recorded.');
  const compared = splits.filter((split) => split === 'validation' || split === 'holdout');
  return [
    h(
      'table',
      { class: 'table table--compact' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Metric'), splits.map((split) => h('th', { scope: 'col', class: 'numeric' }, split)))),
      h(
        'tbody',
        {},
        names.map((name) =>
          h(
            'tr',
            { class: name === primary ? 'primary-metric' : undefined },
            h('th', { scope: 'row' }, name, name === primary ? h('span', { class: 'tag' }, 'primary') : null),
            splits.map((split) => h('td', { class: 'numeric' }, metrics[split][name] === undefined ? '—' : formatMetricValue(metrics[split][name]))),
          ),
        ),
      ),
    ),
    compared.length > 0 ? splitComparisonChart(metrics, compared) : h('span'),
  ];
}

/** @param {string} split */
const rank = (split) => (SPLIT_ORDER.indexOf(split) + 1 || SPLIT_ORDER.length + 1);

/** @param {{ lineage: import('../../../contracts/registry-api').VersionView['lineage'], artifact: import('../../../contracts/registry-api').VersionView['artifact'], deployment: import('../../../contracts/registry-api').VersionView['deployment'], description: string | null, twin: boolean }} data */
function lineageSection({ lineage, artifact, deployment, description, twin }) {
  /** @param {string | null} digest */
  const digest = (digest) => (digest ? h('code', { title: digest }, shortDigest(digest)) : null);
  return facts([
    ['Dataset', lineage.datasetUri ? h('code', { class: 'wrap' }, lineage.datasetUri) : null],
    ['Dataset SHA-256', digest(lineage.datasetSha256)],
    ['Code version', lineage.codeVersion ? h('code', {}, lineage.codeVersion) : null],
    ['Training image', lineage.image ? h('code', { class: 'wrap' }, lineage.image) : null],
    ['Artifact', h('code', { class: 'wrap' }, artifact.uri)],
    ['Artifact SHA-256', digest(artifact.sha256)],
    ['Pipeline execution', lineage.executionName ? (twin ? h('a', { href: `#/runs/${encodeURIComponent(lineage.executionName)}` }, lineage.executionName) : h('code', {}, lineage.executionName)) : null],
    ['Baseline', lineage.baselineUri ? h('code', { class: 'wrap' }, lineage.baselineUri) : null],
    ['Holdout set', lineage.holdoutUri ? h('code', { class: 'wrap' }, lineage.holdoutUri) : null],
    ['Function version', deployment.functionVersion],
    ['Description', description],
  ]);
}

/**
 * @param {import('../../../contracts/registry-api').VersionView['audit']} audit
 * @param {number} now
 */
function auditTrail(audit, now) {
  if (audit.length === 0) return h('p', { class: 'empty' }, 'No transitions recorded.');
  return h(
    'ol',
    { class: 'timeline', 'data-testid': 'audit-trail' },
    [...audit]
      .sort((a, b) => b.at.localeCompare(a.at))
      .map((entry) =>
        h(
          'li',
          { class: `timeline-item timeline-item--${versionStatusBadge(entry.to).tone}` },
          h(
            'div',
            { class: 'timeline-head' },
            entry.from ? [badge(versionStatusBadge(entry.from)), h('span', { 'aria-label': 'to' }, ' → ')] : null,
            badge(versionStatusBadge(entry.to)),
            h('span', { class: 'muted' }, ' by '),
            h('strong', { class: 'actor' }, entry.actor),
            h('time', { datetime: entry.at, title: formatTimestamp(entry.at), class: 'muted' }, ` · ${formatRelative(entry.at, now)}`),
          ),
          h('p', { class: 'timeline-reason' }, entry.reason),
          'restoredVersion' in entry && entry.restoredVersion ? h('p', { class: 'muted' }, `v${entry.restoredVersion} is live again.`) : null,
        ),
      ),
  );
}
