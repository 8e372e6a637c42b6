import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { App } from 'aws-cdk-lib';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MlopsTeamStack } from '../../lib/mlops-team-stack';
import { buildConsole } from '../../local/console/build';
import { Twin } from '../../local/twin';
import { LoopSession } from '../../local/driver/loop-session';
import { registerLike, requireLive } from '../../local/driver/drills/drill-support';
import { datasetToCsv, generateInferenceRows, generateTransactions } from '../../pipelines/datasets/card-fraud';
import { exampleConfig } from '../helpers/synth';
import { projectContext } from '../helpers/project-context';

/**
 * The console in real Chromium against the real twin running the synthesized example stack: a training run registers
 * a pending version, a person approves it in the console, the deployment flow makes it live, inference traffic goes
 * through the function URL, and the dashboard draws it.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(__dirname, '..', '..', 'test-results', 'console.png');
/** Signed in through the header's identity form, so the audit trail must show this name, taken from the token. */
const APPROVER = 'risk-officer@example.com';
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
    const cdkOut = join(scratch, 'cdk.out');
    const app = new App({ outdir: cdkOut, context: projectContext() });
    new MlopsTeamStack(app, `Mlops-${config.team}`, { config });
    app.synth();

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

  it('approves a pending version, sees it go live and draws its traffic on the dashboard', async () => {
    // GIVEN a version registered by a real training run, awaiting approval
    const run = await twin.states.start(twin.output('TrainingStateMachineArn'), { trigger: 'manual', reason: 'console browser test' }, 'console-test-train').done;
    expect(run.status, `training run failed: ${run.error} ${run.cause}`).toBe('SUCCEEDED');
    await page.goto(`${twin.url}/#/models/card-fraud`);
    await page.getByLabel('Signed in as').fill(APPROVER);
    await page.getByRole('button', { name: 'Switch' }).click();
    const pending = page.getByRole('row').filter({ hasText: 'Pending approval' }).getByRole('link').first();
    await pending.waitFor();
    const version = (await pending.textContent())!.replace(/^v/, '');

    // WHEN a person approves it in the console with a comment
    await page.goto(`${twin.url}/#/models/card-fraud/versions/${version}`);
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

  it('aborts the deployment in progress from the model page: rolled back, the live version serving alone', async () => {
    // GIVEN a second version approved (its registration copied from the live one, as `mlops models register` would)
    const session = new LoopSession(twin, config);
    try {
      const live = await requireLive(session, 'console abort');
      const version = await registerLike(session, live, 'to be aborted from the console');
      await session.approve(version, 'approved for the abort test');
      // WHEN an operator aborts it on the model page while it deploys
      await page.goto(`${twin.url}/#/models/card-fraud`);
      await page.getByLabel('Reason (required)').fill('Canary looks wrong to me; stopping it.');
      await page.getByRole('button', { name: 'Abort deployment' }).click();
      // THEN the version is rolled back with the reason in its audit trail, nothing deploys, the alias is on the live version
      await expect.poll(() => page.getByText(`Aborted; v${version} is rolled back.`).count(), { timeout: 30_000 }).toBe(1);
      await page.goto(`${twin.url}/#/models/card-fraud/versions/${version}`);
      await expect.poll(() => page.getByTestId('version-status').textContent(), { timeout: 30_000 }).toBe('Rolled back');
      await expect.poll(() => page.getByTestId('audit-trail').textContent()).toContain('Canary looks wrong to me; stopping it.');
      expect(session.liveAlias()).toEqual({ version: live.functionVersion, routing: {} });
    } finally {
      session.close();
    }
  }, 300_000);
});
