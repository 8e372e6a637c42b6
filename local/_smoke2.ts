import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Twin } from './twin';
import { datasetToCsv, generateTransactions } from '../pipelines/datasets/card-fraud';
(async () => {
  const twin = await Twin.start({ cdkOut: '/tmp/cdkout', dataDirectory: '/tmp/twindata', timeScale: 60, onFunctionLog: (f, v, l) => console.log(`[${f.slice(12, 40)}:${v}] ${l.slice(0, 300)}`) });
  twin.timeline.onEntry((e) => console.log(`TIMELINE ${e.kind}: ${e.message}`));
  const s3 = new S3Client({ region: 'us-east-1', endpoint: twin.endpoints.s3, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const bucket = twin.output('ArtifactBucketName');
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'datasets/card-fraud/data.csv', Body: datasetToCsv(generateTransactions({ rows: 5000, seed: 7 })) }));
  const t0 = Date.now();
  const ex = twin.states.start(twin.output('TrainingStateMachineArn'), { trigger: 'manual', reason: 'smoke' }, 'smoke-' + Date.now());
  const done = await ex.done;
  console.log(done.status, done.error, done.cause?.slice(0, 2000), JSON.stringify(done.output)?.slice(0, 1000), (Date.now() - t0) / 1000);
  for (const e of done.events) console.log(e.type, e.state, e.detail?.slice(0, 300));
  await twin.stop();
})().catch(e => { console.error(e); process.exit(1); });
