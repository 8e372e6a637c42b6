import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../console/build';
import { Twin } from '../../local/twin';
import { LoopSession } from '../../local/driver/loop-session';
import { registerLike, requireLive } from '../../local/driver/drills/drill-support';
import { datasetToCsv, generateInferenceRows, generateTransactions } from '../../pipelines/datasets/card-fraud';
import { exampleConfig } from '../helpers/synth';
import { teamAssembly } from '../helpers/team-assembly';

/**
 * The console in real Chromium against the real twin running the synthesized example stack: a person signs in through
 * the hosted sign-in form, a training run registers a pending version, a person without the approver role is offered
 * no Approve button and the API refuses them, a person with the role approves it, the deployment flow makes it live,
 * inference traffic goes through the function URL, and the dashboard draws it.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(__dirname, '..', '..', 'test-results', 'console.png');
/** Users of the twin's directory (local/README.md): one in the approvers group, one in no group. */
const APPROVER = 'approvers@localhost';
const VIEWER = 'viewer@localhost';
/** A 5-minute canary bake takes 5 s. */
const TIME_SCALE = 60;

describe('console in Chromium against the twin', () => {
  // Never skipped: a machine without the browser fails this test, naming the package (.ci/run installs it).
  it('has Chromium to drive', () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is absent: apt-get install -y chromium`).toBe(true);
  });

  const scratch = mkdtempSync(join(tmpdir(), 'console-browser-'));
  let twin: Twin;
  let browser: BrowserContext;
  let page: Page;
  // A 15-minute canary bake (15 s at x60) leaves a person time to press Abort during the deployment.
  const example = exampleConfig();
  const config = { ...example, deployment: { ...example.deployment, canaryBakeMinutes: 15 } };

  beforeAll(async () => {
    const cdkOut = await teamAssembly(config);
    twin = await Twin.start({ cdkOut, dataDirectory: join(scratch, 'data'), timeScale: TIME_SCALE, consoleDirectory: await buildConsole() });
    const s3 = new S3Client({ region: 'us-east-1', endpoint: twin.endpoints.s3, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    await s3.send(
      new PutObjectCommand({ Bucket: twin.output('ArtifactBucketName'), Key: `datasets/${config.model.name}/data.csv`, Body: datasetToCsv(generateTransactions({ rows: 4000, seed: 7 })) }),
    );

    const userData = join(scratch, 'chromium');
    mkdirSync(userData);
    // Playwright takes the profile directory as an argument of launchPersistentContext, not as --user-data-dir.
    browser = await chromium.launchPersistentContext(userData, {
      executablePath: CHROMIUM,
      viewport: { width: 1440, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await twin?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  // A failed step leaves the page as it was for whoever reads the report.
  afterEach(async (context) => {
    if (context.task.result?.state !== 'fail' || !page) return;
    await page.screenshot({ path: SCREENSHOT.replace('.png', '-failure.png'), fullPage: true });
    await page.goto(`${twin.url}/#/runs`);
    await page.getByRole('list').first().waitFor({ timeout: 5000 }).catch(() => undefined);
    await page.screenshot({ path: SCREENSHOT.replace('.png', '-failure-runs.png'), fullPage: true });
  });

  /** Signs in through the twin's hosted sign-in form (authorization code with PKCE) and lands on `hash`. */
  async function signInAs(email: string, hash: string) {
    await page.goto(`${twin.url}/${hash}`);
    await page.getByRole('button', { name: /^Sign (in|out)$/ }).first().waitFor();
    if (await page.getByRole('button', { name: 'Sign out' }).isVisible()) {
      await page.getByRole('button', { name: 'Sign out' }).click();
    }
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toBe(email);
    if (!page.url().endsWith(hash)) await page.goto(`${twin.url}/${hash}`);
  }

  it('signs in, refuses an approval to a person without the approver role, approves as one with it, sees it live and draws its traffic', async () => {
    // GIVEN a version registered by a real training run, awaiting approval
    const run = await twin.states.start(twin.output('TrainingStateMachineArn'), { trigger: 'manual', reason: 'console browser test' }, 'console-test-train').done;
    expect(run.status, `training run failed: ${run.error} ${run.cause}`).toBe('SUCCEEDED');
    await signInAs(VIEWER, '#/models/card-fraud');
    const pending = page.getByRole('row').filter({ hasText: 'Pending approval' }).getByRole('link').first();
    await pending.waitFor();
    const version = (await pending.textContent())!.replace(/^v/, '');

    // WHEN a person in no group opens it, THEN there is no Approve button, and the API refuses their token with a 403
    // that names the role, writing nothing
    await page.goto(`${twin.url}/#/models/card-fraud/versions/${version}`);
    await expect.poll(() => page.getByTestId('version-status').textContent()).toBe('Pending approval');
    await expect.poll(() => page.getByTestId('decision-needs-role').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    const auditRows = page.getByTestId('audit-trail').getByRole('listitem');
    const auditBefore = await auditRows.count();
    // With the token the console holds for this person (the test's tsconfig has no DOM types, hence the cast)
    const refused = await page.evaluate(async (path) => {
      const { sessionStorage } = globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } };
      const response = await fetch(path, {
        method: 'POST',
        headers: { authorization: `Bearer ${sessionStorage.getItem('mlops-console.id-token')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ comment: 'trying without the role' }),
      });
      return { status: response.status, body: await response.text() };
    }, `/api/models/card-fraud/versions/${version}/approve`);
    expect(refused.status, refused.body).toBe(403);
    expect(refused.body).toContain('approver');
    await page.reload();
    await expect.poll(() => page.getByTestId('version-status').textContent()).toBe('Pending approval');
    await auditRows.first().waitFor();
    expect(await auditRows.count()).toBe(auditBefore);

    // WHEN a person in the approvers group signs in and approves it with a comment
    await signInAs(APPROVER, `#/models/card-fraud/versions/${version}`);
    await page.getByLabel('Comment (required)').fill('Holdout metrics reviewed; approving for canary.');
    await page.getByRole('button', { name: 'Approve' }).click();

    // THEN the deployment flow takes it live, and the audit trail names the approver from the token
    await expect.poll(() => page.getByTestId('version-status').textContent(), { timeout: 120_000, interval: 1000 }).toBe('Live');
    await expect.poll(() => page.getByTestId('audit-trail').textContent()).toContain(APPROVER);
    await expect.poll(() => page.getByTestId('audit-trail').textContent()).toContain('Holdout metrics reviewed; approving for canary.');

    // WHEN inference traffic goes through the function URL (the live alias)
    const url = new URL('invocations', twin.output('InferenceUrl'));
    const rows = generateInferenceRows({ rows: 200, seed: 11 });
    for (let i = 0; i < rows.length; i += 20) {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: rows.slice(i, i + 20) }) });
      expect(response.status, await response.clone().text()).toBe(200);
    }

    // THEN the dashboard's request chart draws it
    await page.goto(`${twin.url}/#/dashboard`);
    const requests = page.locator('article[aria-label="Inference requests (per minute)"]');
    await expect.poll(() => requests.locator('path.series-line').first().getAttribute('d'), { timeout: 60_000, interval: 1000 }).toMatch(/^M[\d.]+,[\d.]+/);
    await expect.poll(() => requests.locator('.legend-value').first().textContent(), { timeout: 30_000 }).not.toBe('—');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }, 600_000);

  it("shows a batch scoring run's chunks scored on the runs page, then its rows, version and manifest", async () => {
    // GIVEN the first test's version, approved (live there; approved here when this test runs alone), and a dataset of
    // 4,000 rows under the artifact store's scoring/ prefix
    const session = new LoopSession(twin, config);
    const newest = await (async () => {
      try {
        const [latest] = (await session.versions()).sort((a, b) => b.version - a.version);
        if (latest.status === 'pending_approval') await session.approve(latest.version, 'approved for the batch scoring test');
        return latest;
      } finally {
        session.close();
      }
    })();
    const bucket = twin.output('ArtifactBucketName');
    const s3 = new S3Client({ region: 'us-east-1', endpoint: twin.endpoints.s3, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'scoring/inputs/console.csv', Body: datasetToCsv(generateTransactions({ rows: 4000, seed: 11 })) }));
    s3.destroy();
    // WHEN a scoring run of 40 chunks starts (as `mlops score` starts one)
    const request = { input: `s3://${bucket}/scoring/inputs/console.csv`, output: `s3://${bucket}/scoring/outputs/console`, version: newest.version, rowsPerChunk: 100 };
    const run = twin.states.start(twin.output('BatchScoringStateMachineArn'), request, 'console-scoring');
    await page.goto(`${twin.url}/#/runs/console-scoring`);
    // THEN its card names it a batch scoring run and its progress bar counts the chunks up to all 40
    const card = page.locator('[data-execution="console-scoring"]');
    await expect.poll(() => card.locator('.execution-kind').textContent(), { timeout: 30_000 }).toBe('Batch scoring');
    const progress = card.getByRole('progressbar');
    await expect.poll(() => progress.getAttribute('max'), { timeout: 60_000 }).toBe('40');
    const finished = await run.done;
    expect(finished.status, `scoring run failed: ${finished.error} ${finished.cause}`).toBe('SUCCEEDED');
    await expect.poll(() => progress.getAttribute('value'), { timeout: 30_000 }).toBe('40');
    expect(await progress.getAttribute('aria-label')).toBe('ScoreChunks of console-scoring: 40/40 chunks scored');
    await expect.poll(() => card.locator('.outcome').textContent(), { timeout: 30_000 }).toMatch(
      new RegExp(`^Succeeded — 4,000 rows scored with v${newest.version}; manifest s3://${bucket}/scoring/outputs/console/manifest\\.json$`),
    );
  }, 300_000);

  it('starts a shadow test beside the decision as a developer, shows its hourly report while the version is pending, and stops it', async () => {
    // GIVEN a pending version (a copy of the live one) and live traffic
    const session = new LoopSession(twin, config);
    let sending = true;
    try {
      const live = await requireLive(session, 'console shadow');
      const version = await registerLike(session, live, 'to be compared in shadow from the console');
      const rows = generateInferenceRows({ rows: 200, seed: 5 });
      const traffic = (async () => {
        // A trickle, not a flood: the twin serves it in this worker, whose event loop also answers vitest.
        while (sending) {
          await session.sendTraffic(rows, { batch: 10, concurrency: 1 });
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      })();
      // WHEN a developer opens it and starts a shadow test with a comment
      await signInAs('developers@localhost', `#/models/card-fraud/versions/${version}`);
      const panel = page.getByTestId('shadow-panel');
      await expect.poll(() => panel.getByTestId('shadow-state').textContent(), { timeout: 30_000 }).toMatch(/^Not in shadow/);
      await panel.getByLabel('Reason for the shadow test (required)').fill('Compare with live before anyone approves.');
      await panel.getByRole('button', { name: 'Start shadow' }).click();
      // THEN the panel says it runs, and the hourly report (every minute at x60) appears with the copied rows
      await expect.poll(() => panel.getByTestId('shadow-state').textContent(), { timeout: 30_000 }).toMatch(/^In shadow since .*10% of live requests/);
      const reportRows = panel.getByTestId('shadow-reports').locator('tbody tr');
      const answered = async () => {
        for (const row of await reportRows.all()) {
          const cells = await row.locator('td').allTextContents();
          if (Number(cells[2]) > 0) return cells;
        }
        return undefined;
      };
      await expect.poll(answered, { timeout: 180_000, interval: 2000 }).toBeDefined();
      // the same model answers: every label agrees, no difference
      expect((await answered())!.slice(1, 7)).toEqual([`v${live.version}`, expect.stringMatching(/^\d+$/), '0', '100.0%', '0.0000', '0.0000']);
      expect(await page.getByTestId('version-status').textContent()).toBe('Pending approval');
      // WHEN the developer stops it THEN the panel says so, and the audit trail has both
      await panel.getByLabel('Reason for the shadow test (required)').fill('Seen enough.');
      await panel.getByRole('button', { name: 'Stop shadow' }).click();
      await expect.poll(() => panel.getByTestId('shadow-state').textContent(), { timeout: 30_000 }).toMatch(/^Not in shadow/);
      await expect.poll(() => page.getByTestId('audit-trail').textContent()).toContain('shadow test stopped: Seen enough.');
      expect(await page.getByTestId('audit-trail').textContent()).toContain('shadow test started (10% of live requests');
      sending = false;
      await traffic;
    } finally {
      sending = false;
      session.close();
    }
  }, 400_000);

  it('aborts the deployment in progress from the model page: rolled back, the live version serving alone', async () => {
    // GIVEN a second version approved (its registration copied from the live one, as `mlops models register` would)
    const session = new LoopSession(twin, config);
    try {
      const live = await requireLive(session, 'console abort');
      const version = await registerLike(session, live, 'to be aborted from the console');
      await session.approve(version, 'approved for the abort test');
      // WHEN a person in the operators group aborts it on the model page while it deploys
      await signInAs('operators@localhost', '#/models/card-fraud');
      await page.getByLabel('Reason (required)').fill('Canary looks wrong to me; stopping it.');
      await page.getByRole('button', { name: 'Abort deployment' }).click();
      // THEN the version is rolled back with the reason in its audit trail, nothing deploys, the alias is on the live version
      await expect.poll(() => page.getByText(`Aborted; v${version} is rolled back.`).count(), { timeout: 30_000 }).toBe(1);
      // the confirmation outlasts the refresh that removes the form (nothing deploys any more)
      await expect.poll(() => page.getByRole('button', { name: 'Abort deployment' }).count(), { timeout: 30_000 }).toBe(0);
      expect(await page.getByText(`Aborted; v${version} is rolled back.`).count()).toBe(1);
      await page.goto(`${twin.url}/#/models/card-fraud/versions/${version}`);
      await expect.poll(() => page.getByTestId('version-status').textContent(), { timeout: 30_000 }).toBe('Rolled back');
      await expect.poll(() => page.getByTestId('audit-trail').textContent()).toContain('Canary looks wrong to me; stopping it.');
      expect(session.liveAlias()).toEqual({ version: live.functionVersion, routing: {} });
    } finally {
      session.close();
    }
  }, 300_000);

  it('offers Roll back to operators only, and rolls the live version back from the model page', async () => {
    // GIVEN a live version and nothing deploying
    await signInAs(VIEWER, '#/models/card-fraud');
    await expect.poll(() => page.getByText('Live version').count()).toBe(1);
    const session = new LoopSession(twin, config);
    const live = (await session.api<{ liveVersion: number }>('GET', '/models/card-fraud').finally(() => session.close())).liveVersion;
    // WHEN a person in no group opens the model page THEN there is no Roll back button
    expect(await page.getByRole('button', { name: `Roll back v${live}` }).count()).toBe(0);
    // WHEN an operator rolls it back with a reason THEN the console confirms and the version is rolled back
    await signInAs('operators@localhost', '#/models/card-fraud');
    await page.getByLabel('Reason (required)').fill('Complaints from the fraud desk; rolling back.');
    await page.getByRole('button', { name: `Roll back v${live}` }).click();
    await expect.poll(() => page.getByText(new RegExp(`^v${live} is rolled back`)).count(), { timeout: 30_000 }).toBe(1);
    // the confirmation outlasts the refresh that removes the form (v${live} is no longer live)
    await expect.poll(() => page.getByRole('button', { name: `Roll back v${live}` }).count(), { timeout: 30_000 }).toBe(0);
    expect(await page.getByText(new RegExp(`^v${live} is rolled back`)).count()).toBe(1);
    await page.goto(`${twin.url}/#/models/card-fraud/versions/${live}`);
    await expect.poll(() => page.getByTestId('version-status').textContent(), { timeout: 30_000 }).toBe('Rolled back');
    await expect.poll(() => page.getByTestId('audit-trail').textContent()).toContain('Complaints from the fraud desk; rolling back.');
  }, 300_000);
});
