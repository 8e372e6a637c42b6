import { describe, expect, it } from 'vitest';
import type { LintException } from '../../../tools/template-lint/exceptions';
import type { Finding } from '../../../tools/template-lint/findings';
import { matchFindings, stalePatterns } from '../../../tools/template-lint/matching';

const REASON = 'A reason long enough for the schema, specific to the rule and the resources.';

const finding = (tool: Finding['tool'], rule: string, resourcePath: string): Finding => ({
  tool,
  rule,
  level: tool === 'checkov' ? 'failed' : 'warning',
  resourcePath,
  message: `${rule} on ${resourcePath}`,
});

const exceptions: LintException[] = [
  { tool: 'checkov', rule: 'CKV_AWS_117', resources: ['DeploymentFlow/*Function/Resource', 'Inference/Function/Resource'], reason: REASON },
  { tool: 'cfn-lint', rule: 'ES6000', resources: ['DeploymentFlow/RuleDlq/Resource'], reason: REASON },
];

describe('matchFindings', () => {
  it('excepts a finding only when the tool, the rule and a resource pattern all match', () => {
    const findings = [
      finding('checkov', 'CKV_AWS_117', 'DeploymentFlow/BeginFunction/Resource'),
      finding('checkov', 'CKV_AWS_116', 'DeploymentFlow/BeginFunction/Resource'),
      finding('cfn-lint', 'CKV_AWS_117', 'DeploymentFlow/BeginFunction/Resource'),
      finding('checkov', 'CKV_AWS_117', 'ApprovalApi/Handler/Resource'),
      finding('cfn-lint', 'ES6000', 'DeploymentFlow/RuleDlq/Resource'),
    ];
    const { excepted, unexcepted } = matchFindings(findings, exceptions);
    expect(excepted).toEqual([findings[0], findings[4]]);
    expect(unexcepted).toEqual([findings[1], findings[2], findings[3]]);
  });

  it('reports as stale every pattern that covered nothing, across all the templates matched with one record', () => {
    // GIVEN two templates: the first uses one pattern of entry 0, the second the pattern of entry 1
    const used = new Set<string>();
    matchFindings([finding('checkov', 'CKV_AWS_117', 'DeploymentFlow/BeginFunction/Resource')], exceptions, used);
    matchFindings([finding('cfn-lint', 'ES6000', 'DeploymentFlow/RuleDlq/Resource')], exceptions, used);

    // THEN only entry 0's second pattern is stale
    expect(stalePatterns(exceptions, used)).toEqual([{ entry: 0, exception: exceptions[0], pattern: 'Inference/Function/Resource' }]);
  });

  it('finds every pattern stale when nothing was linted', () => {
    expect(stalePatterns(exceptions, new Set()).map((p) => p.pattern)).toEqual([
      'DeploymentFlow/*Function/Resource',
      'Inference/Function/Resource',
      'DeploymentFlow/RuleDlq/Resource',
    ]);
  });
});
