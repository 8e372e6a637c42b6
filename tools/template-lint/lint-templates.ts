import { join, relative } from 'node:path';
import { TeamConfigError } from '../../contracts/team-config';
import { EXCEPTIONS_FILE, LintExceptionsError, loadLintExceptions } from './exceptions';
import { LinterOutputError } from './findings';
import { lintTemplate } from './lint-template';
import { lintTargets, synthesizedTemplates } from './lint-targets';
import { linterEnvironment, LinterRunError, pinnedVersions } from './linters';
import { stalePatterns } from './matching';
import { findingLine, staleLine, summaryLine } from './report';

/**
 * `npm run lint:templates`: synthesizes every team stack of lint-targets.ts, runs cfn-lint (with the serverless rules)
 * and checkov on each template, and holds their findings against the reviewed exceptions (exceptions.json).
 * Exit 0: nothing unexcepted and every exception pattern used; 1: an unexcepted finding or a stale exception pattern;
 * 2: the run itself failed (an invalid exceptions file or team config, a linter that crashed).
 */
const ROOT = join(__dirname, '..', '..');

async function main(): Promise<number> {
  const started = Date.now();
  const exceptions = loadLintExceptions(EXCEPTIONS_FILE);
  const targets = lintTargets();
  console.log(`template-lint: ${pinnedVersions().join(', ')}; ${targets.length} templates; exceptions: ${relative(ROOT, EXCEPTIONS_FILE)}`);
  console.log('template-lint: preparing the linters\' Python environment (installed once, then cached by the requirements\' hash)');
  // pip installs (mostly waiting on downloads) while one process synthesizes the templates (CPU) one after another,
  // bundling each function once for all of them; each template is linted as soon as it and the environment are ready,
  // beside the next one's synthesis.
  const environment = linterEnvironment((line) => console.log(`  pip: ${line}`));
  environment.catch(() => undefined); // reported where it is awaited
  const templates = synthesizedTemplates(targets.map((target) => target.config));
  templates.forEach((template) => template.catch(() => undefined));

  const used = new Set<string>();
  let unexcepted = 0;
  for (const [index, target] of targets.entries()) {
    console.log(`template-lint: [${index + 1}/${targets.length}] linting ${target.label}`);
    const { cfnLint, checkov, checkovPassed } = await lintTemplate(await environment, await templates[index], exceptions, used);
    console.log(summaryLine('cfn-lint', target.label, cfnLint));
    cfnLint.unexcepted.forEach((finding) => console.log(findingLine(finding)));
    console.log(summaryLine('checkov', target.label, checkov, checkovPassed));
    checkov.unexcepted.forEach((finding) => console.log(findingLine(finding)));
    unexcepted += cfnLint.unexcepted.length + checkov.unexcepted.length;
  }

  const stale = stalePatterns(exceptions, used);
  if (stale.length) {
    console.log(`template-lint: ${stale.length} stale exception patterns in ${relative(ROOT, EXCEPTIONS_FILE)}`);
    stale.forEach((pattern) => console.log(staleLine(pattern)));
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  const failed = unexcepted > 0 || stale.length > 0;
  console.log(
    `template-lint: ${failed ? 'FAILED' : 'ok'}: ${unexcepted} unexcepted findings, ${stale.length} stale exception patterns (${seconds} s). ` +
      (failed ? 'Fix the resource, or add a reviewed exception with its reason (docs/template-lint.md).' : ''),
  );
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = err instanceof LintExceptionsError || err instanceof TeamConfigError || err instanceof LinterRunError || err instanceof LinterOutputError;
    console.error(known ? `template-lint: ${(err as Error).message}` : err);
    process.exit(2);
  },
);
