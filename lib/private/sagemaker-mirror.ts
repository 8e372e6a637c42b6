import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  REGISTRY_EVENT_DETAIL_TYPE,
  REGISTRY_EVENT_SOURCE,
  SAGEMAKER_EVENT_DETAIL_TYPE,
  SAGEMAKER_EVENT_SOURCE,
} from '../../contracts/registry-events';
import type { IModelRegistry } from '../model-registry';
import { MlopsFunction } from './mlops-function';
import { acknowledgeWildcardResource } from './nag';
import { deadLetterQueue, ruleTargetOptions } from './queues';

export interface SageMakerMirrorProps {
  /** The model; its SageMaker model package group has the same name. */
  readonly modelName: string;
  readonly registry: IModelRegistry;
  readonly metricsNamespace: string;
}

/**
 * Two-way link with the SageMaker Model Registry, for teams that approve in SageMaker Studio:
 * - every registry event is mirrored to a model package version (sagemaker-mirror);
 * - a SageMaker approval or rejection is recorded in OUR registry (sagemaker-sync), never sent straight to the
 *   deployment. The registry is the one place that checks transitions (a rejected or retired version cannot be
 *   deployed), writes the audit row, and emits the "approved" event the deployment listens to; a second path into
 *   the deployment would skip those checks and deploy twice when both registries say "approved".
 */
export class SageMakerMirror extends Construct {
  constructor(scope: Construct, id: string, props: SageMakerMirrorProps) {
    super(scope, id);
    const { registry, modelName } = props;
    const targetDlq = deadLetterQueue(this, 'TargetDlq');
    const environment = {
      REGISTRY_TABLE_NAME: registry.table.tableName,
      EVENT_BUS_NAME: registry.eventBus.eventBusName,
      MODEL_NAME: modelName,
    };

    const sync = new MlopsFunction(this, 'Sync', {
      entry: 'lambdas/registry/sagemaker-sync.handler.ts',
      description: 'Records approvals made in the SageMaker Model Registry in the team registry',
      serviceName: 'registry-sagemaker-sync',
      metricsNamespace: props.metricsNamespace,
      environment,
      deadLetterQueue: targetDlq,
    });
    registry.grantRegistryWrite(sync);
    registry.grantPutEvents(sync);
    new events.Rule(this, 'SageMakerApprovalRule', {
      description: `SageMaker approvals of ${modelName} -> team registry`,
      eventPattern: {
        source: [SAGEMAKER_EVENT_SOURCE],
        detailType: [SAGEMAKER_EVENT_DETAIL_TYPE],
        detail: { ModelApprovalStatus: ['Approved', 'Rejected'], ModelPackageGroupName: [modelName] },
      },
      targets: [new targets.LambdaFunction(sync, ruleTargetOptions(targetDlq))],
    });

    const mirror = new MlopsFunction(this, 'Mirror', {
      entry: 'lambdas/registry/sagemaker-mirror.handler.ts',
      description: 'Mirrors registry versions to the SageMaker Model Registry',
      serviceName: 'registry-sagemaker-mirror',
      metricsNamespace: props.metricsNamespace,
      environment,
      deadLetterQueue: targetDlq,
    });
    // Read the version, write its model package ARN back (annotate).
    registry.grantRegistryWrite(mirror);
    const stack = Stack.of(this);
    const group = stack.formatArn({ service: 'sagemaker', resource: 'model-package-group', resourceName: modelName });
    const packages = stack.formatArn({
      service: 'sagemaker',
      resource: 'model-package',
      resourceName: `${modelName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    mirror.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:CreateModelPackageGroup', 'sagemaker:DescribeModelPackageGroup'],
        resources: [group],
      }),
    );
    mirror.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:CreateModelPackage', 'sagemaker:UpdateModelPackage', 'sagemaker:DescribeModelPackage'],
        resources: [packages, group],
      }),
    );
    acknowledgeWildcardResource(
      mirror,
      packages,
      'Model package versions of this one group are numbered by SageMaker at creation; the ARN pattern names the group.',
    );
    new events.Rule(this, 'RegistryEventsRule', {
      description: `Registry events of ${modelName} -> SageMaker Model Registry`,
      eventBus: registry.eventBus,
      eventPattern: {
        source: [REGISTRY_EVENT_SOURCE],
        detailType: [REGISTRY_EVENT_DETAIL_TYPE],
        detail: { model: [modelName] },
      },
      targets: [new targets.LambdaFunction(mirror, ruleTargetOptions(targetDlq))],
    });
  }
}
