import { createHash } from 'node:crypto';

/**
 * What CloudFormation would call a resource once deployed: its physical name, what `Ref` returns, and the
 * attributes `Fn::GetAtt` reads, per resource TYPE. Names the template leaves open are generated from the stack
 * name and logical id, deterministically, the way CloudFormation shapes them (`<stack>-<logicalId>-<suffix>`).
 */

export interface Environment {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly urlSuffix: string;
  /** Base URL of the twin's HTTP server: function URLs and API endpoints live under it. */
  readonly twinUrl: string;
}

export interface ResourceFacts {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  /** Resolved properties (read lazily: only the name property and the few that attributes need). */
  property(name: string): unknown;
  /** For an AWS::Lambda::Version: its number among its function's template versions (1, 2, ... in template order). */
  versionNumber(): number;
}

interface TypeRule {
  /** Property carrying the physical name, when the template may set it. */
  readonly nameProperty?: string;
  readonly maxLength?: number;
  readonly lowercase?: boolean;
  /** What Ref returns; default the physical name. */
  readonly ref?: (name: string, r: ResourceFacts, env: Environment) => string;
  readonly attributes?: Record<string, (name: string, r: ResourceFacts, env: Environment) => unknown>;
}

const arn = (env: Environment, service: string, resource: string, region = env.region, account = env.accountId) =>
  `arn:${env.partition}:${service}:${region}:${account}:${resource}`;

/** Short deterministic ids for resources that AWS identifies by an opaque id (API ids, key ids, security groups). */
function stableId(seed: string, length = 10): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** The base of a Lambda function ARN for an unqualified function name. */
export const functionArn = (env: Environment, name: string) => arn(env, 'lambda', `function:${name}`);
const stateMachineArn = (env: Environment, name: string) => arn(env, 'states', `stateMachine:${name}`);
export const executionArn = (env: Environment, machine: string, execution: string) =>
  arn(env, 'states', `execution:${machine}:${execution}`);
export const alarmArn = (env: Environment, name: string) => arn(env, 'cloudwatch', `alarm:${name}`);
const eventBusArn = (env: Environment, name: string) => arn(env, 'events', `event-bus/${name}`);
export const ruleArn = (env: Environment, bus: string, name: string) =>
  arn(env, 'events', bus === 'default' ? `rule/${name}` : `rule/${bus}/${name}`);
/** Where the twin serves a function URL (AWS: https://<id>.lambda-url.<region>.on.aws/). */
const functionUrl = (env: Environment, urlId: string) => `${env.twinUrl}/lambda-url/${urlId}/`;
/** Where the twin serves an HTTP API (AWS: https://<id>.execute-api.<region>.amazonaws.com). */
const apiEndpoint = (env: Environment, apiId: string) => `${env.twinUrl}/api/${apiId}`;

const RULES: Record<string, TypeRule> = {
  'AWS::DynamoDB::Table': {
    nameProperty: 'TableName',
    maxLength: 255,
    attributes: {
      Arn: (n, _r, e) => arn(e, 'dynamodb', `table/${n}`),
      StreamArn: (n, _r, e) => arn(e, 'dynamodb', `table/${n}/stream/1970-01-01T00:00:00.000`),
    },
  },
  'AWS::S3::Bucket': {
    nameProperty: 'BucketName',
    maxLength: 63,
    lowercase: true,
    attributes: {
      Arn: (n, _r, e) => `arn:${e.partition}:s3:::${n}`,
      DomainName: (n) => `${n}.s3.amazonaws.com`,
      RegionalDomainName: (n, _r, e) => `${n}.s3.${e.region}.amazonaws.com`,
      WebsiteURL: (n, _r, e) => `http://${n}.s3-website-${e.region}.amazonaws.com`,
    },
  },
  'AWS::Lambda::Function': {
    nameProperty: 'FunctionName',
    attributes: { Arn: (n, _r, e) => functionArn(e, n) },
  },
  'AWS::Lambda::Version': {
    ref: (_n, r, e) => `${functionArn(e, functionNameOf(r))}:${r.versionNumber()}`,
    attributes: {
      Version: (_n, r) => String(r.versionNumber()),
      FunctionArn: (_n, r, e) => functionArn(e, functionNameOf(r)),
    },
  },
  'AWS::Lambda::Alias': {
    ref: (_n, r, e) => `${functionArn(e, functionNameOf(r))}:${String(r.property('Name'))}`,
    attributes: { AliasArn: (_n, r, e) => `${functionArn(e, functionNameOf(r))}:${String(r.property('Name'))}` },
  },
  'AWS::Lambda::Url': {
    ref: (_n, r) => stableId(`${r.stackName}/${r.logicalId}`, 16),
    attributes: {
      FunctionUrl: (_n, r, e) => functionUrl(e, stableId(`${r.stackName}/${r.logicalId}`, 16)),
      FunctionArn: (_n, r, e) => functionArn(e, functionNameOf(r, 'TargetFunctionArn')),
    },
  },
  'AWS::Lambda::LayerVersion': {
    nameProperty: 'LayerName',
    ref: (n, _r, e) => arn(e, 'lambda', `layer:${n}:1`),
  },
  'AWS::Lambda::EventSourceMapping': { ref: (_n, r) => uuidOf(`${r.stackName}/${r.logicalId}`) },
  'AWS::IAM::Role': {
    nameProperty: 'RoleName',
    attributes: { Arn: (n, _r, e) => `arn:${e.partition}:iam::${e.accountId}:role/${n}`, RoleId: (n) => `AROA${stableId(n, 17).toUpperCase()}` },
  },
  'AWS::IAM::ManagedPolicy': {
    nameProperty: 'ManagedPolicyName',
    ref: (n, _r, e) => `arn:${e.partition}:iam::${e.accountId}:policy/${n}`,
  },
  'AWS::StepFunctions::StateMachine': {
    nameProperty: 'StateMachineName',
    maxLength: 80,
    ref: (n, _r, e) => stateMachineArn(e, n),
    attributes: { Arn: (n, _r, e) => stateMachineArn(e, n), Name: (n) => n },
  },
  'AWS::Events::EventBus': {
    nameProperty: 'Name',
    maxLength: 256,
    attributes: { Arn: (n, _r, e) => eventBusArn(e, n), Name: (n) => n },
  },
  'AWS::Events::Rule': {
    nameProperty: 'Name',
    ref: (n, r) => (busNameOf(r) === 'default' ? n : `${busNameOf(r)}|${n}`),
    attributes: { Arn: (n, r, e) => ruleArn(e, busNameOf(r), n) },
  },
  'AWS::CloudWatch::Alarm': {
    nameProperty: 'AlarmName',
    maxLength: 255,
    attributes: { Arn: (n, _r, e) => alarmArn(e, n) },
  },
  'AWS::CloudWatch::CompositeAlarm': {
    nameProperty: 'AlarmName',
    maxLength: 255,
    attributes: { Arn: (n, _r, e) => alarmArn(e, n) },
  },
  'AWS::CloudWatch::Dashboard': { nameProperty: 'DashboardName', maxLength: 255 },
  'AWS::SNS::Topic': {
    nameProperty: 'TopicName',
    maxLength: 256,
    ref: (n, _r, e) => arn(e, 'sns', n),
    attributes: { TopicArn: (n, _r, e) => arn(e, 'sns', n), TopicName: (n) => n },
  },
  'AWS::SQS::Queue': {
    nameProperty: 'QueueName',
    maxLength: 80,
    ref: (n, _r, e) => `https://sqs.${e.region}.${e.urlSuffix}/${e.accountId}/${n}`,
    attributes: {
      Arn: (n, _r, e) => arn(e, 'sqs', n),
      QueueName: (n) => n,
      QueueUrl: (n, _r, e) => `https://sqs.${e.region}.${e.urlSuffix}/${e.accountId}/${n}`,
    },
  },
  'AWS::Logs::LogGroup': {
    nameProperty: 'LogGroupName',
    maxLength: 512,
    attributes: { Arn: (n, _r, e) => arn(e, 'logs', `log-group:${n}:*`) },
  },
  'AWS::KMS::Key': {
    ref: (_n, r) => uuidOf(`${r.stackName}/${r.logicalId}`),
    attributes: {
      Arn: (_n, r, e) => arn(e, 'kms', `key/${uuidOf(`${r.stackName}/${r.logicalId}`)}`),
      KeyId: (_n, r) => uuidOf(`${r.stackName}/${r.logicalId}`),
    },
  },
  'AWS::KinesisFirehose::DeliveryStream': {
    nameProperty: 'DeliveryStreamName',
    attributes: { Arn: (n, _r, e) => arn(e, 'firehose', `deliverystream/${n}`) },
  },
  'AWS::ApiGatewayV2::Api': {
    ref: (_n, r) => stableId(`${r.stackName}/${r.logicalId}`),
    attributes: {
      ApiId: (_n, r) => stableId(`${r.stackName}/${r.logicalId}`),
      ApiEndpoint: (_n, r, e) => apiEndpoint(e, stableId(`${r.stackName}/${r.logicalId}`)),
    },
  },
  // A distribution's domain is localized to the twin's server (localizeUrls), which serves the console itself.
  'AWS::CloudFront::Distribution': {
    ref: (_n, r) => `E${stableId(`${r.stackName}/${r.logicalId}`, 13).toUpperCase()}`,
    attributes: { DomainName: (_n, r) => `d${stableId(`${r.stackName}/${r.logicalId}`, 13)}.cloudfront.net` },
  },
  'AWS::Batch::JobDefinition': {
    nameProperty: 'JobDefinitionName',
    maxLength: 128,
    ref: (n, _r, e) => arn(e, 'batch', `job-definition/${n}:1`),
  },
  'AWS::Batch::JobQueue': {
    nameProperty: 'JobQueueName',
    maxLength: 128,
    ref: (n, _r, e) => arn(e, 'batch', `job-queue/${n}`),
    attributes: { JobQueueArn: (n, _r, e) => arn(e, 'batch', `job-queue/${n}`) },
  },
  'AWS::Batch::ComputeEnvironment': {
    nameProperty: 'ComputeEnvironmentName',
    maxLength: 128,
    ref: (n, _r, e) => arn(e, 'batch', `compute-environment/${n}`),
    attributes: { ComputeEnvironmentArn: (n, _r, e) => arn(e, 'batch', `compute-environment/${n}`) },
  },
  'AWS::ECR::Repository': {
    nameProperty: 'RepositoryName',
    lowercase: true,
    maxLength: 256,
    attributes: {
      Arn: (n, _r, e) => arn(e, 'ecr', `repository/${n}`),
      RepositoryUri: (n, _r, e) => `${e.accountId}.dkr.ecr.${e.region}.${e.urlSuffix}/${n}`,
    },
  },
  'AWS::SSM::Parameter': { nameProperty: 'Name' },
  'AWS::EC2::SecurityGroup': {
    ref: (_n, r) => `sg-${stableId(`${r.stackName}/${r.logicalId}`, 17)}`,
    attributes: { GroupId: (_n, r) => `sg-${stableId(`${r.stackName}/${r.logicalId}`, 17)}` },
  },
};

/** The property that names a resource of `type`, when the template may set one (e.g. TableName). */
export function namePropertyOf(type: string): string | undefined {
  return RULES[type]?.nameProperty;
}

/** The physical name of a resource: the template's name property when set, else a generated one. */
function physicalName(r: ResourceFacts): string {
  const rule = RULES[r.type] ?? {};
  const given = rule.nameProperty ? r.property(rule.nameProperty) : undefined;
  if (typeof given === 'string' && given !== '') return given;
  return generatedName(r.stackName, r.logicalId, rule.maxLength ?? 64, rule.lowercase ?? false);
}

/** `<stack>-<logicalId>-<SUFFIX>`, the stack and logical id parts shortened to fit `maxLength`, as CloudFormation does. */
function generatedName(stackName: string, logicalId: string, maxLength: number, lowercase: boolean): string {
  const suffix = stableId(`${stackName}/${logicalId}`, 12).toUpperCase();
  const room = maxLength - suffix.length - 2;
  const stackPart = stackName.slice(0, Math.max(1, Math.floor(room / 2)));
  const idPart = logicalId.slice(0, room - stackPart.length);
  const name = `${stackPart}-${idPart}-${suffix}`;
  return lowercase ? name.toLowerCase().replace(/[^a-z0-9.-]/g, '-') : name;
}

export function refOf(r: ResourceFacts, env: Environment): string {
  const rule = RULES[r.type];
  const name = physicalName(r);
  return rule?.ref ? rule.ref(name, r, env) : name;
}

export class UnsupportedAttributeError extends Error {
  constructor(type: string, logicalId: string, attribute: string) {
    super(`Fn::GetAtt ${logicalId}.${attribute}: the twin does not know attribute "${attribute}" of ${type}`);
    this.name = 'UnsupportedAttributeError';
  }
}

export function attributeOf(r: ResourceFacts, attribute: string, env: Environment): unknown {
  const rule = RULES[r.type];
  const getter = rule?.attributes?.[attribute];
  if (getter) return getter(physicalName(r), r, env);
  // Most types expose their ARN; an unknown type gets a well-formed one from its service and name.
  if (attribute === 'Arn') {
    const service = r.type.split('::')[1]?.toLowerCase() ?? 'unknown';
    return arn(env, service, `${r.type.split('::')[2]?.toLowerCase()}/${physicalName(r)}`);
  }
  throw new UnsupportedAttributeError(r.type, r.logicalId, attribute);
}

function functionNameOf(r: ResourceFacts, property = 'FunctionName'): string {
  const value = String(r.property(property));
  // FunctionName may be a name, a full ARN or a partial ARN; the name is the 7th ARN field.
  return value.startsWith('arn:') ? value.split(':')[6] : value;
}

function busNameOf(r: ResourceFacts): string {
  const bus = r.property('EventBusName');
  if (typeof bus !== 'string' || bus === '') return 'default';
  return bus.startsWith('arn:') ? bus.slice(bus.indexOf('event-bus/') + 'event-bus/'.length) : bus;
}

function uuidOf(seed: string): string {
  const h = stableId(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
