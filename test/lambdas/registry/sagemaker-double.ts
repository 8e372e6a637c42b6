import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny HTTP endpoint speaking SageMaker's AWS JSON 1.1 protocol (`X-Amz-Target: SageMaker.<Operation>`) for the
 * four Model Registry operations the mirror uses (no SageMaker stand-in package exists). It keeps groups and
 * packages in memory and answers the way SageMaker does where the code depends on it: a missing group or package
 * is a 400 ValidationException, and CreateModelPackage is idempotent on its ClientToken.
 */
export interface SageMakerCall {
  /** The X-Amz-Target header, e.g. `SageMaker.CreateModelPackage`. */
  target: string;
  body: Record<string, unknown>;
}

export interface ModelPackage {
  arn: string;
  group: string;
  version: number;
  status: string;
}

export interface SageMakerFailure {
  status: number;
  type: string;
  message?: string;
}

export interface SageMakerDouble {
  endpoint: string;
  /** Every call received, failed ones included, in order. */
  calls: SageMakerCall[];
  /** The calls' operation names, in order. */
  operations(): string[];
  /** The request bodies of one operation's calls. */
  bodiesOf(operation: string): Record<string, unknown>[];
  groups: Set<string>;
  /** By ARN. */
  packages: Map<string, ModelPackage>;
  /** Makes SageMaker answer an operation with an error, as under throttling or an outage. */
  fail?: (operation: string) => SageMakerFailure | undefined;
  stop(): Promise<void>;
}

const ARN_PREFIX = 'arn:aws:sagemaker:eu-west-1:123456789012';
const PREFIX = 'SageMaker.';

export async function startSageMakerDouble(): Promise<SageMakerDouble> {
  const tokens = new Map<string, string>();
  const double: SageMakerDouble = {
    endpoint: '',
    calls: [],
    operations: () => double.calls.map((call) => call.target.slice(PREFIX.length)),
    bodiesOf: (operation) => double.calls.filter((call) => call.target === PREFIX + operation).map((call) => call.body),
    groups: new Set(),
    packages: new Map(),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };

  type Reply = { status: number; body: object };
  const error = ({ status, type, message }: SageMakerFailure): Reply => ({ status, body: { __type: type, message: message ?? type } });
  const invalid = (message: string) => error({ status: 400, type: 'ValidationException', message });
  const ok = (body: object): Reply => ({ status: 200, body });

  const operations: Record<string, (body: Record<string, unknown>) => Reply> = {
    DescribeModelPackageGroup: ({ ModelPackageGroupName: name }) =>
      double.groups.has(String(name))
        ? ok({ ModelPackageGroupName: name, ModelPackageGroupArn: `${ARN_PREFIX}:model-package-group/${name}`, ModelPackageGroupStatus: 'Completed' })
        : invalid(`ModelPackageGroup ${name} does not exist.`),
    CreateModelPackageGroup: ({ ModelPackageGroupName: name }) => {
      if (double.groups.has(String(name))) return invalid(`Model Package Group already exists: ${ARN_PREFIX}:model-package-group/${name}`);
      double.groups.add(String(name));
      return ok({ ModelPackageGroupArn: `${ARN_PREFIX}:model-package-group/${name}` });
    },
    CreateModelPackage: (body) => {
      const group = String(body.ModelPackageGroupName);
      if (!double.groups.has(group)) return invalid(`ModelPackageGroup ${group} does not exist.`);
      const token = typeof body.ClientToken === 'string' ? body.ClientToken : undefined;
      const known = token && tokens.get(token);
      if (known) return ok({ ModelPackageArn: known });
      const version = [...double.packages.values()].filter((p) => p.group === group).length + 1;
      const arn = `${ARN_PREFIX}:model-package/${group}/${version}`;
      double.packages.set(arn, { arn, group, version, status: String(body.ModelApprovalStatus ?? 'PendingManualApproval') });
      if (token) tokens.set(token, arn);
      return ok({ ModelPackageArn: arn });
    },
    UpdateModelPackage: (body) => {
      const found = double.packages.get(String(body.ModelPackageArn));
      if (!found) return invalid(`Model package ${body.ModelPackageArn} does not exist.`);
      if (typeof body.ModelApprovalStatus === 'string') found.status = body.ModelApprovalStatus;
      return ok({ ModelPackageArn: found.arn });
    },
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const text = Buffer.concat(chunks).toString('utf8');
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      double.calls.push({ target, body });
      const name = target.slice(PREFIX.length);
      const operation = target.startsWith(PREFIX) && Object.hasOwn(operations, name) ? operations[name] : undefined;
      const failure = operation && double.fail?.(name);
      const reply = !operation
        ? error({ status: 400, type: 'UnknownOperationException', message: `Unknown operation ${target}` })
        : failure
          ? error(failure)
          : operation(body);
      response.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  double.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return double;
}
