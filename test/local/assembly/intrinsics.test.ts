import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnCondition, CfnOutput, Fn, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { readApp, synthesize, TEST_ENV } from '../support/synth';
import type { SynthesizedApp } from '../../../local/assembly/synthesized-app';

describe('intrinsic resolver on a synthesized stack', () => {
  let app: SynthesizedApp;

  beforeAll(() => {
    // GIVEN a stack whose outputs use Ref, GetAtt, Join, Sub, Select/Split, If and pseudo parameters
    const outdir = synthesize((stack: Stack) => {
      const table = new dynamodb.Table(stack, 'Registry', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        stream: dynamodb.StreamViewType.NEW_IMAGE,
      });
      const named = new s3.Bucket(stack, 'Named', { bucketName: `artifacts-${stack.account}` });
      const fn = new lambda.Function(stack, 'Fn', {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => 1'),
      });
      const version = fn.currentVersion;
      new lambda.Alias(stack, 'Live', { aliasName: 'live', version });
      const isProd = new CfnCondition(stack, 'IsProd', { expression: Fn.conditionEquals(stack.region, 'eu-west-1') });
      new CfnOutput(stack, 'TableName', { value: table.tableName });
      new CfnOutput(stack, 'StreamArn', { value: table.tableStreamArn! });
      new CfnOutput(stack, 'BucketName', { value: named.bucketName });
      new CfnOutput(stack, 'FunctionArn', { value: fn.functionArn });
      new CfnOutput(stack, 'VersionNumber', { value: version.version });
      const fnId = stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
      new CfnOutput(stack, 'Sub', { value: Fn.sub(`\${AWS::Region}/\${${fnId}.Arn}/\${!Literal}/\${Name}`, { Name: table.tableName }) });
      new CfnOutput(stack, 'Second', { value: Fn.select(1, Fn.split('/', Fn.sub('a/${AWS::AccountId}/c'))) });
      new CfnOutput(stack, 'Chosen', { value: Token.asString(Fn.conditionIf(isProd.logicalId, 'prod', 'dev')) });
    });
    app = readApp(outdir);
  });

  it('generates deterministic physical names from the stack and logical id when the template sets none', () => {
    const outputs = app.outputs().TestStack;
    expect(outputs.TableName).toMatch(/^TestStack-Registry[A-F0-9]+-[A-Z0-9]{12}$/);
    expect(readApp(app.assembly.directory).outputs().TestStack.TableName).toBe(outputs.TableName);
  });

  it('resolves names the template sets, with pseudo parameters', () => {
    expect(app.outputs().TestStack.BucketName).toBe('artifacts-000000000000');
  });

  it('resolves GetAtt of ARNs, stream ARNs and version numbers', () => {
    const outputs = app.outputs().TestStack;
    expect(outputs.StreamArn).toMatch(new RegExp(`^arn:aws:dynamodb:eu-west-1:000000000000:table/${outputs.TableName}/stream/`));
    expect(outputs.FunctionArn).toMatch(/^arn:aws:lambda:eu-west-1:000000000000:function:TestStack-Fn/);
    expect(outputs.VersionNumber).toBe('1');
  });

  it('resolves Fn::Sub with attributes and escapes, Select/Split and conditions', () => {
    const outputs = app.outputs().TestStack;
    expect(outputs.Sub).toBe(`eu-west-1/${outputs.FunctionArn}/\${Literal}/${outputs.TableName}`);
    expect(outputs.Second).toBe('000000000000');
    expect(outputs.Chosen).toBe('prod');
    expect(readApp(app.assembly.directory, { ...TEST_ENV, region: 'us-east-1' }).outputs().TestStack.Chosen).toBe('dev');
  });
});

describe('cross-stack references', () => {
  it('resolves Fn::ImportValue from the exports of the stack deployed first', () => {
    // GIVEN a consumer stack whose output references a producer's table (CDK makes an export and an import)
    const outdir = mkdtempSync(join(tmpdir(), 'twin-cdk-'));
    const cdkApp = new App({ outdir });
    const producer = new Stack(cdkApp, 'Producer');
    const table = new dynamodb.Table(producer, 'Shared', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    const consumer = new Stack(cdkApp, 'Consumer');
    new CfnOutput(consumer, 'SharedTableArn', { value: table.tableArn });
    cdkApp.synth();
    // WHEN the twin reads both
    const app = readApp(outdir);
    // THEN the stacks are in dependency order and the import resolves to the producer's attribute
    expect(app.stacks.map((s) => s.stackName)).toEqual(['Producer', 'Consumer']);
    expect(app.outputs().Consumer.SharedTableArn).toMatch(/^arn:aws:dynamodb:eu-west-1:000000000000:table\/Producer-Shared/);
  });
});
