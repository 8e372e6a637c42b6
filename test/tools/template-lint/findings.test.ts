import { describe, expect, it } from 'vitest';
import { cfnLintFindings, checkovResult, LinterOutputError } from '../../../tools/template-lint/findings';

/** Logical id -> construct path, as lint-targets.ts reads them from the cloud assembly. */
const paths = new Map([
  ['DeploymentFlowRuleDlq28656219', 'DeploymentFlow/RuleDlq/Resource'],
  ['DriftMonitorJob053E3DDC', 'DriftMonitor/Job/Resource'],
]);

describe('cfnLintFindings', () => {
  it("reads each match's rule, level and message, and locates it by the resource's construct path", () => {
    // GIVEN cfn-lint's JSON report (the fields it prints, trimmed)
    const output = [
      {
        Filename: 'Mlops-fraud.template.json',
        Level: 'Error',
        Location: { Path: ['Resources', 'DeploymentFlowRuleDlq28656219'], Start: { LineNumber: 1, ColumnNumber: 3 } },
        Message: 'SQS Queue DeploymentFlowRuleDlq28656219 should have a RedrivePolicy property configured.',
        Rule: { Id: 'ES6000', Description: 'Ensure SQS queues have a redrive policy configured' },
      },
      {
        Level: 'Warning',
        Location: { Path: ['Resources', 'DriftMonitorJob053E3DDC', 'DependsOn', 1] },
        Message: "'DriftMonitorJobRole' dependency already enforced by a 'GetAtt'",
        Rule: { Id: 'W3005' },
      },
      { Level: 'Informational', Location: { Path: ['Outputs', 'ModelName', 'Value'] }, Message: 'an output', Rule: { Id: 'I6010' } },
      { Level: 'Warning', Location: { Path: ['Resources', 'CDKMetadata'] }, Message: 'outside the tree', Rule: { Id: 'W1001' } },
    ];
    // THEN
    expect(cfnLintFindings(output, paths)).toEqual([
      {
        tool: 'cfn-lint',
        rule: 'ES6000',
        level: 'error',
        resourcePath: 'DeploymentFlow/RuleDlq/Resource',
        logicalId: 'DeploymentFlowRuleDlq28656219',
        message: 'SQS Queue DeploymentFlowRuleDlq28656219 should have a RedrivePolicy property configured.',
      },
      {
        tool: 'cfn-lint',
        rule: 'W3005',
        level: 'warning',
        resourcePath: 'DriftMonitor/Job/Resource',
        logicalId: 'DriftMonitorJob053E3DDC',
        message: "'DriftMonitorJobRole' dependency already enforced by a 'GetAtt'",
      },
      { tool: 'cfn-lint', rule: 'I6010', level: 'informational', resourcePath: 'Outputs/ModelName', logicalId: undefined, message: 'an output' },
      { tool: 'cfn-lint', rule: 'W1001', level: 'warning', resourcePath: 'Resources/CDKMetadata', logicalId: 'CDKMetadata', message: 'outside the tree' },
    ]);
  });

  it('refuses a report of another shape, naming the field', () => {
    expect(() => cfnLintFindings([{ Level: 'Fatal', Message: 'x', Location: { Path: [] }, Rule: { Id: 'E0000' } }], paths)).toThrow(LinterOutputError);
    expect(() => cfnLintFindings({ matches: [] }, paths)).toThrow(/cfn-lint printed output this runner cannot read:\n {2}- \(root\): /);
  });
});

describe('checkovResult', () => {
  const report = (failed: unknown[], parsingErrors = 0) => ({
    check_type: 'cloudformation',
    results: { failed_checks: failed, passed_checks: [], skipped_checks: [], parsing_errors: [] },
    summary: { passed: 590, failed: failed.length, skipped: 0, parsing_errors: parsingErrors, resource_count: 200, checkov_version: '3.3.30' },
  });

  it('reads the failed checks, locating each by the construct path of its <Type>.<LogicalId>, and the passed count', () => {
    const result = checkovResult(
      report([{ check_id: 'CKV_AWS_27', check_name: 'Ensure all data stored in the SQS queue is encrypted', resource: 'AWS::SQS::Queue.DeploymentFlowRuleDlq28656219' }]),
      paths,
    );
    expect(result).toEqual({
      passed: 590,
      findings: [
        {
          tool: 'checkov',
          rule: 'CKV_AWS_27',
          level: 'failed',
          resourcePath: 'DeploymentFlow/RuleDlq/Resource',
          logicalId: 'DeploymentFlowRuleDlq28656219',
          message: 'Ensure all data stored in the SQS queue is encrypted',
        },
      ],
    });
  });

  it('fails when checkov could not parse the template, instead of reporting it clean', () => {
    expect(() => checkovResult(report([], 1), paths)).toThrow('checkov printed output this runner cannot read:\n  - could not parse the template (1 parsing errors)');
  });

  it('refuses a report of another shape (e.g. a list of frameworks), naming the field', () => {
    expect(() => checkovResult([report([])], paths)).toThrow(LinterOutputError);
    expect(() => checkovResult({ ...report([]), summary: {} }, paths)).toThrow(/summary\.passed: /);
  });
});
