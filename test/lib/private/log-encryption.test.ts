import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { encryptedLogGroup, logEncryptionKey } from '../../../lib/private/log-encryption';
import { eksExampleConfig, exampleConfig } from '../../helpers/synth';
import { teamTemplate } from '../../helpers/team-assembly';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

describe('encryptedLogGroup', () => {
  it('encrypts every log group of a stack with one rotated key that only CloudWatch Logs of its account and region may use', () => {
    // GIVEN a stack with two log groups in different constructs
    const stack = new Stack(new App(), 'Logs');
    encryptedLogGroup(stack, 'First', { retention: logs.RetentionDays.ONE_MONTH });
    encryptedLogGroup(new Construct(stack, 'Other'), 'Second', { retention: logs.RetentionDays.ONE_YEAR });

    // THEN one key, with rotation, whose policy admits the regional Logs service for this account's log groups only
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    const keyId = Object.keys(template.findResources('AWS::KMS::Key'))[0];
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'CloudWatchLogsOfThisAccountAndRegion',
            Effect: 'Allow',
            Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
            Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
            Resource: '*',
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:*']],
                },
              },
            },
          },
        ]),
      },
    });
    // AND both log groups name it, keeping their own retention
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30, KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
  });

  it('returns the same key to every caller in a stack, and a key of its own to another stack', () => {
    const app = new App();
    const first = new Stack(app, 'First');
    const second = new Stack(app, 'Second');
    expect(logEncryptionKey(first)).toBe(logEncryptionKey(first));
    expect(logEncryptionKey(second)).not.toBe(logEncryptionKey(first));
  });
});

describe.each([
  ['the example team', exampleConfig],
  ['the example team on EKS', eksExampleConfig],
])('log groups of %s', (_name, config) => {
  it("are every one encrypted with the stack's log key (checkov CKV_AWS_158)", async () => {
    const template = await teamTemplate(config());
    const resources = template.toJSON().Resources as Resources;
    const logGroups = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup');
    const keyIds = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::KMS::Key' && JSON.stringify(r.Properties?.KeyPolicy).includes('CloudWatchLogsOfThisAccountAndRegion'))
      .map(([id]) => id);
    expect(keyIds).toHaveLength(1);
    expect(logGroups.length).toBeGreaterThan(10);
    expect(logGroups.filter(([, r]) => JSON.stringify(r.Properties?.KmsKeyId) !== JSON.stringify({ 'Fn::GetAtt': [keyIds[0], 'Arn'] })).map(([id]) => id)).toEqual([]);
  });
});
