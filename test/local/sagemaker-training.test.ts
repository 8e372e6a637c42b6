import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CfnOutput, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../local/services/aws-environment';
import { Twin } from '../../local/twin';
import { synthesize } from './support/synth';

/** `sagemaker:createTrainingJob.sync` with an image asset whose Dockerfile names its local entrypoint. */
describe('SageMaker training jobs in the twin', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'twin-sagemaker-'));
  let twin: Twin;
  let client: S3Client;
  let bucket: string;
  const containerLines: string[] = [];

  beforeAll(async () => {
    const outdir = synthesize((stack: Stack) => {
      const data = new s3.Bucket(stack, 'Data', { removalPolicy: RemovalPolicy.DESTROY });
      const train = new tasks.SageMakerCreateTrainingJob(stack, 'Train', {
        integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        trainingJobName: sfn.JsonPath.stringAt('$.name'),
        algorithmSpecification: { trainingImage: tasks.DockerImage.fromAsset(stack, 'Image', { directory: join(__dirname, 'fixtures', 'trainer-image') }) },
        hyperparameters: { depth: '3', rate: '0.1' },
        inputDataConfig: [{ channelName: 'train', dataSource: { s3DataSource: { s3Location: tasks.S3Location.fromJsonExpression('$.dataUri') } } }],
        outputDataConfig: { s3OutputLocation: tasks.S3Location.fromBucket(data, 'models/') },
      });
      const machine = new sfn.StateMachine(stack, 'Training', { definitionBody: sfn.DefinitionBody.fromChainable(train) });
      new CfnOutput(stack, 'MachineArn', { value: machine.stateMachineArn });
      new CfnOutput(stack, 'BucketName', { value: data.bucketName });
    });
    twin = await Twin.start({ cdkOut: outdir, dataDirectory: join(scratch, 'data'), timeScale: 60, onContainerLog: (job, line) => containerLines.push(`${job} | ${line}`) });
    client = new S3Client({ region: twin.app.env.region, endpoint: twin.endpoints.s3, forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
    bucket = twin.output('BucketName');
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'good/part-1.csv', Body: 'a,b\n1,2\n3,4\n' }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'bad/part-1.csv', Body: 'a,b\npoison,2\n' }));
  }, 300_000);

  afterAll(async () => {
    client?.destroy();
    await twin?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('downloads the channel, passes hyperparameters as strings and uploads model.tar.gz where SageMaker would', async () => {
    const execution = await twin.states.start(twin.output('MachineArn'), { name: 'job-1', dataUri: `s3://${bucket}/good/` }).done;
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    const description = execution.output as { TrainingJobStatus: string; ModelArtifacts: { S3ModelArtifacts: string } };
    expect(description.TrainingJobStatus).toBe('Completed');
    expect(description.ModelArtifacts.S3ModelArtifacts).toBe(`s3://${bucket}/models/job-1/output/model.tar.gz`);
    const archive = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'models/job-1/output/model.tar.gz' }));
    const extracted = join(scratch, 'model');
    const file = join(scratch, 'model.tar.gz');
    writeFileSync(file, Buffer.from(await archive.Body!.transformToByteArray()));
    mkdirSync(extracted);
    await tar.x({ file, cwd: extracted });
    expect(JSON.parse(readFileSync(join(extracted, 'model.json'), 'utf8'))).toEqual({ lines: 3, hyperparameters: { depth: '3', rate: '0.1' } });
    expect(containerLines).toContain('job-1/algo-1 | counted 3 lines');
  });

  it('fails the task with the container\'s output/failure as the FailureReason, and refuses a reused job name', async () => {
    const failed = await twin.states.start(twin.output('MachineArn'), { name: 'job-2', dataUri: `s3://${bucket}/bad/` }).done;
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('States.TaskFailed');
    expect(JSON.parse(failed.cause!)).toMatchObject({ TrainingJobStatus: 'Failed', FailureReason: 'AlgorithmError: the train channel holds a poisoned row' });
    const reused = await twin.states.start(twin.output('MachineArn'), { name: 'job-1', dataUri: `s3://${bucket}/good/` }, 'reuse').done;
    expect(reused.error).toBe('SageMaker.ResourceInUseException');
  });
});
