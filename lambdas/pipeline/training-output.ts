import { formatIssues } from '../../contracts/validation-issues';
import { readArchiveFiles } from '../../pipelines/common/model-archive';
import { InvalidModelOutputError } from '../../pipelines/evaluation/invalid-model-output';
import { sageMakerPaths } from '../../pipelines/trainer/sagemaker-paths';
import { ModelSession } from '../inference/model-session';
import { METADATA_FILE, MODEL_FILE, modelMetadataSchema, type ModelMetadata } from '../../contracts/model-metadata';

/** What the team's model must be: its task, its classes (multiclass) and its features in the processed splits' order. */
export interface ExpectedModel {
  task: ModelMetadata['task'];
  classes?: readonly (string | number)[];
  features: readonly string[];
}

/** Where a training container writes the model; SageMaker tars the directory into model.tar.gz. */
const MODEL_DIR = sageMakerPaths({}).modelDir;

const list = (values: readonly unknown[]) => `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;

/**
 * Opens what a training job wrote (model.tar.gz at `source`) as a ModelSession, after checking it is the team's
 * model: model.onnx and a valid metadata.json are there, metadata.json has the team's task, classes (in order) and
 * features (in order), and onnxruntime loads model.onnx with an input as wide as the features and an output that
 * fits the task. Any violation is an InvalidModelOutputError in the data scientist's words. The caller releases
 * the session.
 */
export async function openTrainingOutput(archive: Uint8Array, source: string, expected: ExpectedModel): Promise<ModelSession> {
  const files = await readArchiveFiles(archive, source).catch((err: unknown) => {
    throw new InvalidModelOutputError(`the training job's ${(err as Error).message}`, { cause: err });
  });
  const missing = [MODEL_FILE, METADATA_FILE].filter((name) => !files.has(name));
  if (missing.length > 0) {
    const found = [...files.keys()].join(', ') || 'nothing';
    throw new InvalidModelOutputError(`the training container wrote no ${missing.join(' and no ')} to ${MODEL_DIR} (found: ${found})`);
  }
  const metadata = parseMetadata(files.get(METADATA_FILE) as Buffer);
  checkMetadata(metadata, expected);
  try {
    return await ModelSession.create({ onnx: files.get(MODEL_FILE) as Buffer, metadata });
  } catch (err) {
    throw new InvalidModelOutputError(
      `${MODEL_FILE} written by the training container does not run as its ${METADATA_FILE} describes it (one row of ${metadata.features.length} features): ${oneLine((err as Error).message)}`,
      { cause: err },
    );
  }
}

function parseMetadata(text: Buffer): ModelMetadata {
  let raw: unknown;
  try {
    raw = JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new InvalidModelOutputError(`${METADATA_FILE} written by the training container is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = modelMetadataSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidModelOutputError(`${METADATA_FILE} written by the training container is invalid: ${formatIssues(parsed.error).join('; ')}`);
  }
  return parsed.data;
}

function checkMetadata(metadata: ModelMetadata, expected: ExpectedModel): void {
  const where = `${METADATA_FILE} written by the training container`;
  if (metadata.task !== expected.task) {
    throw new InvalidModelOutputError(`${where} says task ${metadata.task}, the team's model is ${expected.task}`);
  }
  const labels = metadata.labels ?? [];
  if (expected.classes && (labels.length !== expected.classes.length || labels.some((label, k) => label !== expected.classes?.[k]))) {
    throw new InvalidModelOutputError(
      `${where} has labels ${list(labels)}; they must be the team's classes ${list(expected.classes)} (model.classes), in the order of the probability columns`,
    );
  }
  const names = metadata.features.map((f) => f.name);
  if (names.length !== expected.features.length || names.some((name, i) => name !== expected.features[i])) {
    throw new InvalidModelOutputError(
      `${where} lists features ${list(names)}; the model must take the team's features ${list(expected.features)}, in that order`,
    );
  }
}

/** onnxruntime's messages may span several lines; a failure row and the console show one. */
const oneLine = (message: string) => message.replace(/\s*\n\s*/g, ' ');
