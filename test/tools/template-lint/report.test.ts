import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../tools/template-lint/findings';
import { findingLine, staleLine, summaryLine } from '../../../tools/template-lint/report';

const finding = (rule: string, level: Finding['level'], resourcePath: string, logicalId?: string): Finding => ({
  tool: level === 'failed' ? 'checkov' : 'cfn-lint',
  rule,
  level,
  resourcePath,
  logicalId,
  message: `message of ${rule}`,
});

describe('the report', () => {
  it("summarises a tool's unexcepted findings by level and counts the excepted ones, the tools' lines aligned", () => {
    const cfnLint = {
      excepted: [finding('W3005', 'warning', 'a')],
      unexcepted: [finding('ES1007', 'error', 'b'), finding('W3005', 'warning', 'c'), finding('W1001', 'warning', 'd')],
    };
    expect(summaryLine('cfn-lint', 'Mlops-fraud', cfnLint)).toBe('cfn-lint  Mlops-fraud  1 errors, 2 warnings (1 excepted)');
    expect(summaryLine('checkov', 'Mlops-fraud', { excepted: [finding('CKV_AWS_117', 'failed', 'a')], unexcepted: [] }, 518)).toBe(
      'checkov   Mlops-fraud  518 passed, 0 failed (1 excepted)',
    );
  });

  it('names the rule, level, construct path and message of an unexcepted finding, and the logical id when the path does not show it', () => {
    expect(findingLine(finding('CKV_AWS_27', 'failed', 'DeploymentFlow/RuleDlq/Resource', 'DeploymentFlowRuleDlq28656219'))).toBe(
      '    CKV_AWS_27 failed DeploymentFlow/RuleDlq/Resource (DeploymentFlowRuleDlq28656219): message of CKV_AWS_27',
    );
    expect(findingLine(finding('W1001', 'warning', 'Resources/CDKMetadata', 'CDKMetadata'))).toBe('    W1001 warning Resources/CDKMetadata: message of W1001');
  });

  it('names the entry, its tool and rule, and the pattern of a stale exception', () => {
    const exception = { tool: 'checkov' as const, rule: 'CKV_AWS_27', resources: ['Gone/Resource'], reason: 'r' };
    expect(staleLine({ entry: 3, exception, pattern: 'Gone/Resource' })).toBe(
      '    entry 3 (checkov CKV_AWS_27): resource pattern "Gone/Resource" matched no finding in any template; remove it',
    );
  });
});
