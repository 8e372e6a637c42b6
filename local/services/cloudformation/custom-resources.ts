import { randomUUID } from 'node:crypto';
import type { ChangeSet } from '../../assembly/change-set';
import { creationOrder } from '../../assembly/dependencies';
import { isCustomResource, type StackResolver } from '../../assembly/intrinsics';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import type { Route } from '../../http/twin-server';
import type { Timeline } from '../../timeline';
import type { LambdaService } from '../lambda/lambda-service';
import { BUCKET_DEPLOYMENT_TYPE, type BucketDeployments } from './bucket-deployment';
import {
  asRequestProperties,
  type CustomResourceRequest,
  type CustomResourceResponse,
  failed,
  parseResponse,
  type RequestType,
} from './custom-resource-protocol';

/** A custom resource whose handler answered FAILED, or did not answer in time. */
class CustomResourceError extends Error {
  constructor(
    readonly stackName: string,
    readonly logicalId: string,
    readonly requestType: RequestType,
    readonly reason: string,
  ) {
    super(`${stackName}/${logicalId}: ${requestType} failed: ${reason}`);
    this.name = 'CustomResourceError';
  }
}

/** A Create or Update that was sent: what a rollback sends back (Delete, or Update to the old properties). */
interface AppliedRequest {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly serviceToken: string;
  readonly requestType: 'Create' | 'Update';
  readonly properties: Record<string, unknown>;
  readonly physicalId?: string;
  readonly oldProperties?: Record<string, unknown>;
  readonly oldPhysicalId?: string;
}

/** The prefix of every ResponseURL; the request id follows. */
const RESPONSE_PATH = '/twin/cloudformation-response/';
/** Added to the function's timeout: the time a response PUT may take after the handler's last line. */
const RESPONSE_MARGIN_MS = 10_000;
/** After the function failed, how long a response it sent just before failing may take to arrive. */
const FAILED_FUNCTION_GRACE_MS = 2_000;

/**
 * AWS::CloudFormation::CustomResource and Custom::* resources run as CloudFormation runs them: their ServiceToken
 * function is invoked with the standard request event, and the create, update or delete waits for the response the
 * function PUTs to the event's ResponseURL (served by the twin). No response within the function's timeout plus a
 * margin is a failure, as is a function that fails without answering.
 */
export class CustomResources {
  private readonly waiting = new Map<string, { request: CustomResourceRequest; answer: (response: CustomResourceResponse) => void }>();

  constructor(
    private readonly lambda: LambdaService,
    private readonly twinUrl: string,
    private readonly timeline: Timeline,
    /** Runs Custom::CDKBucketDeployment, whose Python handler the twin cannot run. */
    private readonly bucketDeployments?: BucketDeployments,
  ) {}

  /** Serves the ResponseURLs: a PUT of the response object answers the request waiting for it. */
  route(): Route {
    return async (request) => {
      if (!request.url.pathname.startsWith(RESPONSE_PATH)) return undefined;
      const requestId = decodeURIComponent(request.url.pathname.slice(RESPONSE_PATH.length));
      const waiting = this.waiting.get(requestId);
      if (request.method !== 'PUT' || !waiting) return { status: 404, body: `no custom resource request ${requestId} is waiting for a response` };
      this.waiting.delete(requestId);
      waiting.answer(parseResponse(request.body.toString('utf8'), waiting.request));
      return { status: 200, body: '' };
    };
  }

  /**
   * The first deployment: every custom resource created, stack by stack, each after what it depends on. A failure
   * deletes the ones created before it (CloudFormation's rollback of a stack creation) and throws.
   */
  async createAll(app: SynthesizedApp): Promise<void> {
    const applied: AppliedRequest[] = [];
    try {
      for (const stack of app.stacks) {
        for (const logicalId of this.ordered(stack)) await this.create(app, stack, logicalId, applied);
      }
    } catch (err) {
      await this.revert(app, applied);
      throw err;
    }
  }

  /**
   * The creates and updates of a stack update, in the new template's dependency order. An Update carries the
   * PhysicalResourceId and OldResourceProperties; the response's PhysicalResourceId and Data become the resource's
   * Ref and GetAtt. On failure the requests already sent are rolled back (see `revert`) and the error is thrown.
   */
  async apply(changes: ChangeSet): Promise<AppliedRequest[]> {
    const applied: AppliedRequest[] = [];
    try {
      for (const stack of changes.newApp.stacks) {
        const touched = new Map(changes.changes.filter((c) => c.stackName === stack.stackName && isCustomResource(c.type) && c.action !== 'delete').map((c) => [c.logicalId, c]));
        for (const logicalId of this.ordered(stack).filter((id) => touched.has(id))) {
          if (touched.get(logicalId)!.action === 'create') await this.create(changes.newApp, stack, logicalId, applied);
          else await this.update(changes, stack, logicalId, applied);
        }
      }
    } catch (err) {
      await this.revert(changes.oldApp, applied);
      throw err;
    }
    return applied;
  }

  /**
   * The update's cleanup: Delete for custom resources gone from the template (unless retained), in reverse
   * dependency order, and for the old PhysicalResourceId of each Update whose response named a new one. Failures
   * do not fail the update (CloudFormation completes it and reports them); they are returned and put on the timeline.
   */
  async cleanUp(changes: ChangeSet, applied: readonly AppliedRequest[]): Promise<string[]> {
    const problems: string[] = [];
    const attempt = async (request: Omit<CustomResourceRequest, 'RequestId' | 'ResponseURL' | 'StackId'>, stack: StackResolver) => {
      const response = await this.send(stack, request, changes.oldApp);
      if (response.Status === 'FAILED') {
        const problem = `${stack.stackName}/${request.LogicalResourceId}: Delete failed: ${response.Reason}`;
        this.timeline.add('error', `custom resource ${problem}`);
        problems.push(problem);
      }
    };
    for (const request of applied) {
      if (request.requestType !== 'Update' || !request.oldPhysicalId || request.oldPhysicalId === request.physicalId) continue;
      const stack = changes.oldApp.stack(request.stackName)!;
      await attempt(deleteRequest(request.logicalId, request.type, request.serviceToken, request.oldPhysicalId, request.oldProperties ?? {}), stack);
    }
    for (const stack of changes.oldApp.stacks) {
      const gone = changes.changes.filter((c) => c.stackName === stack.stackName && isCustomResource(c.type) && c.action === 'delete' && !c.retained).map((c) => c.logicalId);
      for (const logicalId of creationOrder(stack.stack.template, gone).reverse()) {
        const properties = stack.properties(logicalId);
        await attempt(deleteRequest(logicalId, stack.resource(logicalId).Type, String(properties.ServiceToken), stack.ref(logicalId), properties), stack);
      }
    }
    return problems;
  }

  /**
   * CloudFormation's rollback of what `applied` did, newest first: a created resource gets a Delete, an updated one an
   * Update back to its old properties. A rollback step that fails is put on the timeline (UPDATE_ROLLBACK_FAILED).
   */
  async revert(app: SynthesizedApp, applied: readonly AppliedRequest[]): Promise<void> {
    for (const request of [...applied].reverse()) {
      const stack = app.stack(request.stackName);
      if (!stack) continue;
      const response =
        request.requestType === 'Create'
          ? request.physicalId === undefined
            ? undefined
            : await this.send(stack, deleteRequest(request.logicalId, request.type, request.serviceToken, request.physicalId, request.properties), app)
          : await this.send(stack, {
              RequestType: 'Update',
              ServiceToken: request.serviceToken,
              LogicalResourceId: request.logicalId,
              ResourceType: request.type,
              PhysicalResourceId: request.physicalId ?? request.oldPhysicalId,
              ResourceProperties: request.oldProperties ?? {},
              OldResourceProperties: request.properties,
            }, app);
      if (response?.Status === 'FAILED') this.timeline.add('error', `rollback of custom resource ${request.stackName}/${request.logicalId} failed: ${response.Reason}`);
      else if (response && request.requestType === 'Update') app.identities.set(request.stackName, request.logicalId, { ref: response.PhysicalResourceId, attributes: response.Data ?? {} });
    }
  }

  private ordered(stack: StackResolver): string[] {
    const ids = Object.keys(stack.stack.template.Resources).filter((id) => isCustomResource(stack.resource(id).Type) && stack.exists(id));
    return creationOrder(stack.stack.template, ids);
  }

  /** Sends a Create and records it in `applied`, failed or not: a rollback deletes a failed create too, as CloudFormation does. */
  private async create(app: SynthesizedApp, stack: StackResolver, logicalId: string, applied: AppliedRequest[]): Promise<void> {
    const properties = stack.properties(logicalId);
    const type = stack.resource(logicalId).Type;
    const serviceToken = String(properties.ServiceToken);
    const response = await this.send(stack, { RequestType: 'Create', ServiceToken: serviceToken, LogicalResourceId: logicalId, ResourceType: type, ResourceProperties: properties }, app);
    applied.push({ stackName: stack.stackName, logicalId, type, serviceToken, requestType: 'Create', properties, physicalId: response.PhysicalResourceId });
    if (response.Status === 'FAILED') throw new CustomResourceError(stack.stackName, logicalId, 'Create', response.Reason ?? 'no reason given');
    app.identities.set(stack.stackName, logicalId, { ref: response.PhysicalResourceId, attributes: response.Data ?? {} });
  }

  /** Sends an Update and records it in `applied`, failed or not: a rollback sends the old properties back to both. */
  private async update(changes: ChangeSet, stack: StackResolver, logicalId: string, applied: AppliedRequest[]): Promise<void> {
    const old = changes.oldApp.stack(stack.stackName)!;
    const properties = stack.properties(logicalId);
    const oldProperties = old.properties(logicalId);
    const type = stack.resource(logicalId).Type;
    const serviceToken = String(properties.ServiceToken);
    const oldPhysicalId = old.ref(logicalId);
    const response = await this.send(stack, {
      RequestType: 'Update',
      ServiceToken: serviceToken,
      LogicalResourceId: logicalId,
      ResourceType: type,
      PhysicalResourceId: oldPhysicalId,
      ResourceProperties: properties,
      OldResourceProperties: oldProperties,
    }, changes.newApp);
    const succeeded = response.Status === 'SUCCESS';
    applied.push({ stackName: stack.stackName, logicalId, type, serviceToken, requestType: 'Update', properties, oldProperties, oldPhysicalId, physicalId: succeeded ? response.PhysicalResourceId : undefined });
    if (!succeeded) throw new CustomResourceError(stack.stackName, logicalId, 'Update', response.Reason ?? 'no reason given');
    changes.newApp.identities.set(stack.stackName, logicalId, { ref: response.PhysicalResourceId, attributes: response.Data ?? {} });
  }

  /** Invokes the ServiceToken function with the request and waits for the PUT to its ResponseURL. `app` is the app the request's properties come from. */
  private async send(stack: StackResolver, fields: Omit<CustomResourceRequest, 'RequestId' | 'ResponseURL' | 'StackId'>, app: SynthesizedApp): Promise<CustomResourceResponse> {
    const requestId = randomUUID();
    const request: CustomResourceRequest = {
      ...fields,
      ResourceProperties: asRequestProperties(fields.ResourceProperties) as Record<string, unknown>,
      ...(fields.OldResourceProperties && { OldResourceProperties: asRequestProperties(fields.OldResourceProperties) as Record<string, unknown> }),
      StackId: String(stack.resolve({ Ref: 'AWS::StackId' })),
      RequestId: requestId,
      ResponseURL: `${this.twinUrl}${RESPONSE_PATH}${requestId}`,
    };
    const where = `${stack.stackName}/${request.LogicalResourceId}`;
    if (request.ResourceType === BUCKET_DEPLOYMENT_TYPE && this.bucketDeployments) {
      this.timeline.add('cloudformation', `custom resource ${where} (${request.ResourceType}): ${request.RequestType}, run by the twin`);
      return this.bucketDeployments.handle(request, app.assembly);
    }
    let timeoutSeconds: number;
    try {
      const { state, qualifier } = this.lambda.parseIdentifier(request.ServiceToken);
      timeoutSeconds = this.lambda.configuration(state, this.lambda.resolveVersionExact(state, qualifier)).timeoutSeconds;
    } catch {
      return failed(request, `the twin runs custom resources whose ServiceToken is a Lambda function of the app; ${request.ServiceToken} is not one`);
    }
    this.timeline.add('cloudformation', `custom resource ${where} (${request.ResourceType}): ${request.RequestType}`);
    const response = await new Promise<CustomResourceResponse>((resolve) => {
      const timer = setTimeout(() => answer(failed(request, `no response to the ResponseURL within ${timeoutSeconds + RESPONSE_MARGIN_MS / 1000} s (the function's timeout plus a margin)`)), timeoutSeconds * 1000 + RESPONSE_MARGIN_MS);
      const answer = (r: CustomResourceResponse) => {
        clearTimeout(timer);
        this.waiting.delete(requestId);
        resolve(r);
      };
      this.waiting.set(requestId, { request, answer });
      // Invoked "Event"-style: the outcome only matters when the function fails before it answers.
      void this.lambda.invoke(request.ServiceToken, request).then(({ outcome }) => {
        if (outcome.ok) return;
        const reason = `the function failed without answering: ${outcome.payload.errorType}: ${outcome.payload.errorMessage}`;
        setTimeout(() => this.waiting.get(requestId)?.answer(failed(request, reason)), FAILED_FUNCTION_GRACE_MS);
      });
    });
    this.timeline.add(
      response.Status === 'SUCCESS' ? 'cloudformation' : 'error',
      `custom resource ${where}: ${request.RequestType} ${response.Status === 'SUCCESS' ? `succeeded (${response.PhysicalResourceId})` : `failed: ${response.Reason}`}`,
    );
    return response;
  }
}

function deleteRequest(logicalId: string, type: string, serviceToken: string, physicalId: string, properties: Record<string, unknown>) {
  return { RequestType: 'Delete' as const, ServiceToken: serviceToken, LogicalResourceId: logicalId, ResourceType: type, PhysicalResourceId: physicalId, ResourceProperties: properties };
}
