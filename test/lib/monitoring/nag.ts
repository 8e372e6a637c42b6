import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

interface ValidationReport {
  pluginReports: Array<{
    pluginName: string;
    violations: Array<{ ruleName: string; severity?: string; violatingConstructs: Array<{ constructPath: string }> }>;
  }>;
}

/**
 * Runs the AwsSolutions and Serverless packs over an app (as bin/app.ts does) and returns every unacknowledged
 * finding, warnings included, as `<rule> at <construct path>` — only those under one of `scopes` when given.
 * Throws when synth wrote no report (it writes one whenever validation plugins ran, listing only the plugins with
 * findings): "no findings" must mean the packs ran and found nothing, not that they never ran.
 */
export function nagFindings(app: App, ...scopes: IConstruct[]): string[] {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  try {
    app.synth({ force: true });
  } catch (err) {
    if (!existsSync(join(app.outdir, 'validation-report.json'))) throw err;
  }
  const reportFile = join(app.outdir, 'validation-report.json');
  if (!existsSync(reportFile)) {
    throw new Error(`synth wrote no ${reportFile}: the cdk-nag packs did not run, so the app's findings are unknown`);
  }
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport;
  const prefixes = scopes.map((scope) => `${scope.node.path}/`);
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs
        .filter((c) => prefixes.length === 0 || prefixes.some((prefix) => c.constructPath.startsWith(prefix)))
        .map((c) => `${violation.ruleName} at ${c.constructPath}`),
    ),
  );
}
