import { beforeAll, describe, expect, it } from 'vitest';
import { EXCEPTIONS_FILE, loadLintExceptions } from '../../../tools/template-lint/exceptions';
import { lintTemplate, type TemplateLintResult } from '../../../tools/template-lint/lint-template';
import { synthesizedTemplate } from '../../../tools/template-lint/lint-targets';
import { linterEnvironment } from '../../../tools/template-lint/linters';
import { matchFindings } from '../../../tools/template-lint/matching';
import { findingLine } from '../../../tools/template-lint/report';
import { exampleConfig } from '../../helpers/synth';

/**
 * The real linters (the pinned venv of tools/template-lint/requirements.txt) on the example team's template, shared with
 * the other tests through the cached assembly: a new finding fails `npm test` as it fails `npm run lint:templates`.
 * The first run on a machine installs the linters (about two minutes); later runs reuse the environment.
 */
describe("cfn-lint and checkov on the example team's template", () => {
  const exceptions = loadLintExceptions(EXCEPTIONS_FILE);
  let result: TemplateLintResult;
  beforeAll(async () => {
    result = await lintTemplate(await linterEnvironment(), await synthesizedTemplate(exampleConfig()), exceptions);
  }, 600_000);

  it('find nothing that the reviewed exceptions do not cover', () => {
    expect(result.cfnLint.unexcepted.map(findingLine)).toEqual([]);
    expect(result.checkov.unexcepted.map(findingLine)).toEqual([]);
  });

  it('did run: both report findings the exceptions cover, and checkov passed checks', () => {
    expect(result.cfnLint.excepted.length).toBeGreaterThan(0);
    expect(result.checkov.excepted.length).toBeGreaterThan(0);
    expect(result.checkovPassed).toBeGreaterThan(100);
  });

  it('would fail on a finding whose exception is taken away (W3005 of every function)', () => {
    const withoutW3005 = exceptions.filter((e) => !(e.tool === 'cfn-lint' && e.rule === 'W3005'));
    const { unexcepted } = matchFindings([...result.cfnLint.excepted, ...result.cfnLint.unexcepted], withoutW3005);
    expect(unexcepted.length).toBeGreaterThan(10);
    expect(new Set(unexcepted.map((f) => f.rule))).toEqual(new Set(['W3005']));
    expect(unexcepted.map((f) => f.resourcePath)).toContain('DeploymentFlow/BeginFunction/Resource');
  });
});
