/**
 * A task failure as Step Functions reports it: `name` is the Error that Retry/Catch match (`ErrorEquals`) and the
 * message is the Cause. aws-local-stepfunctions reads exactly these two fields.
 */
export class TaskError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}
