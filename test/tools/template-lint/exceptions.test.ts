import { describe, expect, it } from 'vitest';
import { EXCEPTIONS_FILE, LintExceptionsError, loadLintExceptions, parseLintExceptions, patternMatches } from '../../../tools/template-lint/exceptions';

const entry = {
  tool: 'checkov',
  rule: 'CKV_AWS_117',
  resources: ['DeploymentFlow/*Function/Resource'],
  reason: 'These functions call only AWS service APIs; nothing they reach lives in a VPC.',
};

function problems(raw: unknown): string[] {
  try {
    parseLintExceptions(raw, 'exceptions.json');
  } catch (err) {
    expect(err).toBeInstanceOf(LintExceptionsError);
    expect((err as Error).name).toBe('LintExceptionsError');
    return (err as LintExceptionsError).problems;
  }
  throw new Error('expected the exceptions to be refused');
}

describe('the exceptions schema', () => {
  it('accepts a complete entry', () => {
    expect(parseLintExceptions([entry])).toEqual([entry]);
  });

  it('names the entry, its tool and rule, and the bad field of every problem at once', () => {
    const bad = [entry, { ...entry, rule: 'W3005', tool: 'tflint', reason: 'ok', resources: [] }];
    expect(problems(bad)).toEqual([
      expect.stringMatching(/^entry 1 \(tflint W3005\) tool: /),
      expect.stringMatching(/^entry 1 \(tflint W3005\) resources: /),
      'entry 1 (tflint W3005) reason: say why the rule does not apply to these resources (at least 40 characters)',
    ]);
  });

  it('refuses fields it does not know (a misspelt "reasons" is not a reason)', () => {
    const { reason, ...rest } = entry;
    expect(problems([{ ...rest, reasons: reason }])).toEqual([
      expect.stringMatching(/^entry 0 \(checkov CKV_AWS_117\) reason: /),
      expect.stringMatching(/^entry 0 \(checkov CKV_AWS_117\): Unrecognized key: "reasons"/),
    ]);
  });

  it('refuses resource patterns that are not construct paths below the stack', () => {
    const bad = { ...entry, resources: ['/Mlops-fraud/Inference', 'Inference//Function', 'Inference/Fun**/Resource', ''] };
    expect(problems([bad])).toEqual([
      expect.stringMatching(/^entry 0 \(checkov CKV_AWS_117\) resources\.0: a construct path below the stack/),
      expect.stringMatching(/^entry 0 \(checkov CKV_AWS_117\) resources\.1: a construct path below the stack/),
      'entry 0 (checkov CKV_AWS_117) resources.2: "**" stands for whole segments: write it between slashes (e.g. "**/Resource")',
      expect.stringMatching(/^entry 0 \(checkov CKV_AWS_117\) resources\.3: a construct path below the stack/),
    ]);
  });

  it('refuses a second entry for the same tool and rule, naming the first', () => {
    expect(problems([entry, { ...entry, resources: ['Inference/Function/Resource'] }])).toEqual([
      'entry 1 (checkov CKV_AWS_117) rule: checkov CKV_AWS_117 has an entry already (entry 0); add its resources there',
    ]);
  });

  it('refuses a file that is not a list', () => {
    expect(problems({ exceptions: [entry] })).toEqual([expect.stringMatching(/^\(file\): /)]);
  });

  it("accepts the repository's own reviewed file", () => {
    expect(loadLintExceptions(EXCEPTIONS_FILE).length).toBeGreaterThan(0);
  });
});

describe('resource patterns', () => {
  it.each([
    ['DeploymentFlow/RuleDlq/Resource', 'DeploymentFlow/RuleDlq/Resource', true],
    ['DeploymentFlow/RuleDlq/Resource', 'DeploymentFlow/RuleDlq/Resource/Policy', false],
    ['DeploymentFlow/*Function/Resource', 'DeploymentFlow/BeginFunction/Resource', true],
    ['DeploymentFlow/*Function/Resource', 'DeploymentFlow/Begin/Function/Resource', false],
    ['DeploymentFlow/*', 'DeploymentFlow/RuleDlq/Resource', false],
    ['DeploymentFlow/**', 'DeploymentFlow/RuleDlq/Resource', true],
    ['DeploymentFlow/**', 'DeploymentFlow', true],
    ['**/Resource', 'Resource', true],
    ['**/Resource', 'Registry/SageMakerMirror/Sync/Resource', true],
    ['Registry/**/Resource', 'Registry/Resource', true],
    ['Registry/**/Resource', 'Registry/SageMakerMirror/TargetDlq/Resource', true],
    ['Registry/**/Resource', 'RegistryX/Resource', false],
    ['**', 'anything/at/all', true],
    ['Custom::CDKBucketDeployment*/Resource', 'Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C256MiB/Resource', true],
    ['Inference.Function', 'InferenceXFunction', false],
  ])('%s against %s: %s', (pattern, path, matches) => {
    expect(patternMatches(pattern, path)).toBe(matches);
  });
});
