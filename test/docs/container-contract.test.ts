import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointPrefix } from '../../contracts/storage-layout';
import { modelMetadataSchema } from '../../contracts/model-metadata';
import { processingContainerProblems, trainingContainerProblems } from '../../lib/private/pipeline-containers';
import { parseTeamConfig } from '../../contracts/team-config';
import { LOCAL_ENTRYPOINT_LABEL, LOCAL_SYSTEM_PACKAGES_LABEL, REQUIREMENTS_FILE } from '../../local/services/containers/container-process';
import { containerArguments } from '../../local/services/containers/sagemaker-training';
import { parsePinnedRequirements } from '../../local/services/python-requirements';
import { hostEnvironment, layOutHost } from '../../local/services/containers/training-host';
import { parseTrainingJobRequest } from '../../local/services/containers/training-job-request';
import { PROBABILITY_SUM_TOLERANCE } from '../../pipelines/evaluation/check-predictions';
import { TRAINING_PIPELINE_SPEC } from '../../contracts/training-pipeline-spec';
import { MAX_HYPERPARAMETER_LENGTH, MAX_HYPERPARAMETERS, RESERVED_HYPERPARAMETERS } from '../../pipelines/trainer/hyperparameters';
import { sageMakerPaths } from '../../pipelines/trainer/sagemaker-paths';

// The contract a team's containers follow must not drift from the code that runs them.
const doc = readFileSync('docs/container-contract.md', 'utf8');

/** The text under a heading (any level) up to the next heading of the same or a higher level. */
function section(title: string): string {
  const match = new RegExp(`^(#+) ${title}\\n`, 'm').exec(doc);
  if (!match) throw new Error(`docs/container-contract.md has no section "${title}"`);
  const rest = doc.slice(match.index + match[0].length);
  const next = new RegExp(`^#{1,${match[1].length}} `, 'm').exec(rest);
  return next ? rest.slice(0, next.index) : rest;
}

/** The first-column names (`name`) of the table rows in a piece of the doc, with the row's other cells. */
const tableRows = (text: string) => [...text.matchAll(/^\| `([^`]+)` \|(.*)$/gm)].map(([, name, cells]) => ({ name, cells }));

/** The JSON code blocks of the doc, in order. */
const jsonBlocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map(([, json]) => JSON.parse(json) as Record<string, unknown>);

/** A training job request as the pipeline renders it, for the twin's own view of the contract. */
const request = (algorithm: Record<string, unknown> = {}) =>
  parseTrainingJobRequest({
    TrainingJobName: 'manual-1',
    AlgorithmSpecification: { TrainingImage: 'image', ...algorithm },
    InputDataConfig: Object.values(TRAINING_PIPELINE_SPEC.training.channels).map((channel) => ({
      ChannelName: channel,
      DataSource: { S3DataSource: { S3Uri: `s3://bucket/runs/manual-1/processed/${channel}/` } },
    })),
    OutputDataConfig: { S3OutputPath: 's3://bucket/runs/manual-1/model/' },
  });

describe('docs/container-contract.md', () => {
  it('lists exactly the environment variables the pipeline gives the processing job', () => {
    const documented = tableRows(section('The processing container')).map((row) => row.name).filter((name) => /^[A-Z_]+$/.test(name));
    // A team's container runs as one job; the two sharded-run variables go to the built-in image only, named below the table.
    const { step, shards, ...oneJob } = TRAINING_PIPELINE_SPEC.processing.environment;
    expect(documented).toEqual(Object.values(oneJob));
    expect(section('The processing container')).toContain(`\`${step}\` and \`${shards}\``);
  });

  it('lists exactly the hyperparameters the platform sets (the reserved keys)', () => {
    const documented = tableRows(section('What it finds: /opt/ml')).map((row) => row.name).filter((name) => /^[a-z]+$/.test(name));
    expect(documented.sort()).toEqual([...RESERVED_HYPERPARAMETERS].sort());
    expect(section('What it finds: /opt/ml')).toContain(`at most ${MAX_HYPERPARAMETERS} hyperparameters, of\nup to ${MAX_HYPERPARAMETER_LENGTH} characters`);
  });

  it('lists exactly the variables the local twin sets for a training host', () => {
    const root = mkdtempSync(join(tmpdir(), 'contract-'));
    const job = request();
    const host = layOutHost(root, 'algo-1', ['algo-1'], job, 'checkpoints');
    const channelVariables = Object.values(TRAINING_PIPELINE_SPEC.training.channels).map((c) => `SM_CHANNEL_${c.toUpperCase()}`);
    const set = Object.keys(hostEnvironment(host, ['algo-1'], job)).map((name) => (channelVariables.includes(name) ? 'SM_CHANNEL_<NAME>' : name));
    const documented = tableRows(section('What it finds: /opt/ml')).map((row) => row.name).filter((name) => /^[A-Z_<>]+$/.test(name));
    expect([...new Set(documented)].sort()).toEqual([...new Set(set)].sort());
  });

  it('marks exactly the variables the built-in trainer honours', () => {
    const rows = tableRows(section('What it finds: /opt/ml')).filter((row) => row.name.startsWith('SM_'));
    const pathsWith = (env: NodeJS.ProcessEnv) => {
      const paths = sageMakerPaths(env);
      return JSON.stringify({ ...paths, train: paths.channel('train'), validation: paths.channel('validation') });
    };
    const honoured = rows.filter((row) => pathsWith({ [row.name.replace('<NAME>', 'TRAIN')]: '/marker' }).includes('/marker')).map((row) => row.name);
    expect(rows.filter((row) => row.cells.trim().endsWith('| ✓ |')).map((row) => row.name)).toEqual(honoured);
    expect(honoured).toContain('SM_MODEL_DIR');
  });

  it("names the pipeline spec's channels, files and checkpoint directory, and the checkpoint prefix of storage-layout", () => {
    const { training, processing } = TRAINING_PIPELINE_SPEC;
    for (const channel of Object.values(training.channels)) expect(doc).toContain(`/opt/ml/input/data/${channel}/${processing.splitFile}`);
    for (const file of [training.modelFile, training.metadataFile]) expect(doc).toContain(`/opt/ml/model/${file}`);
    expect(doc).toContain(`${training.checkpointDirectory}/`);
    for (const file of [processing.baselineFile, processing.datasetFile]) expect(section('The processing container')).toContain(`\`${file}\``);
    expect(doc).toContain(`s3://<artifact bucket>/${checkpointPrefix('<execution>')}`);
    expect(doc).toContain(`\`${training.contentType}\``);
  });

  it('states the tolerance the evaluation allows a probability row', () => {
    expect(PROBABILITY_SUM_TOLERANCE).toBe(1e-4);
    expect(section('What is checked before anything is registered')).toContain('sums to 1 within 1e-4');
  });

  it('starts the image with `train` unless an entry point is given, as the local twin does', () => {
    expect(section('How it is started')).toContain('`docker run <image> train`');
    expect(containerArguments(request())).toEqual(['train']);
    expect(containerArguments(request({ ContainerEntrypoint: ['python3', 'fit.py'] }))).toEqual([]);
    expect(containerArguments(request({ ContainerEntrypoint: ['python3', 'fit.py'], ContainerArguments: ['--fast'] }))).toEqual(['--fast']);
  });

  it('shows a training section the team config and the pipeline accept', () => {
    const base = JSON.parse(readFileSync('pipelines/teams/maintenance.json', 'utf8')) as { training: Record<string, unknown> };
    const snippet = jsonBlocks[0].training as Record<string, unknown>;
    const config = parseTeamConfig({ ...base, training: snippet });
    expect(trainingContainerProblems(config.training.container!)).toEqual([]);
    expect(processingContainerProblems(config.training.processing.container!, { ownNetwork: false, region: 'eu-west-1' })).toEqual([]);
  });

  it("shows a metadata.json that fits the schema and the example team's classes", () => {
    const metadata = modelMetadataSchema.parse(jsonBlocks[1]);
    const team = JSON.parse(readFileSync('pipelines/teams/maintenance.json', 'utf8')) as { model: { classes: string[] } };
    expect(metadata.labels).toEqual(team.model.classes);
  });

  it("is where README's section on bringing training code points, with a training section the config accepts", () => {
    const readme = readFileSync('README.md', 'utf8');
    const start = readme.indexOf('## Bring your own training code');
    const readmeSection = readme.slice(start, readme.indexOf('\n## ', start + 1));
    expect(readmeSection).toContain('(docs/container-contract.md)');
    const [, snippet] = /```json\n([\s\S]*?)```/.exec(readmeSection)!;
    const base = JSON.parse(readFileSync('pipelines/teams/maintenance.json', 'utf8')) as Record<string, unknown>;
    const config = parseTeamConfig({ ...base, ...(JSON.parse(`{${snippet}}`) as Record<string, unknown>) });
    expect(trainingContainerProblems(config.training.container!)).toEqual([]);
  });

  it("names the requirements file and the system packages label the twin reads, and every Python image in the repository follows it", () => {
    const requirements = section('Its Python dependencies: requirements.txt');
    expect(requirements).toContain(`\`${REQUIREMENTS_FILE}\``);
    expect(requirements).toContain(`LABEL ${LOCAL_SYSTEM_PACKAGES_LABEL}="torch"`);
    const pythonImages = execFileSync('git', ['ls-files', '*Dockerfile'], { encoding: 'utf8' })
      .split('\n')
      .filter((file) => file && new RegExp(`${LOCAL_ENTRYPOINT_LABEL}="[^"]+\\.py"`).test(readFileSync(file, 'utf8')));

    expect(pythonImages).toContain('examples/maintenance/trainer/Dockerfile');
    for (const dockerfile of pythonImages) {
      const lock = join(dirname(dockerfile), REQUIREMENTS_FILE);
      expect(existsSync(lock), lock).toBe(true);
      expect(() => parsePinnedRequirements(lock, readFileSync(lock, 'utf8'))).not.toThrow();
      expect(readFileSync(dockerfile, 'utf8'), dockerfile).toMatch(/^COPY requirements\.txt \S+\nRUN pip install --no-cache-dir -r \S*requirements\.txt$/m);
    }
  });
});
