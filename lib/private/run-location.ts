import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';

/**
 * An S3 location of a SageMaker task read from the state (`$.path`), that grants nothing. The L2's own
 * `S3Location.fromJsonExpression` grants s3:GetObject/ListBucket/PutObject on `*` to the job role; our roles get
 * prefix-scoped grants from the artifact store instead.
 */
export class RunLocation extends tasks.S3Location {
  static at(path: string): RunLocation {
    return new RunLocation(sfn.JsonPath.stringAt(path));
  }

  private constructor(private readonly uri: string) {
    super();
  }

  bind(_task: IGrantable, _opts: tasks.S3LocationBindOptions): tasks.S3LocationConfig {
    return { uri: this.uri };
  }
}
