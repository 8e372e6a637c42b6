import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import { type ModelMetadata, modelMetadataSchema } from '../../../contracts/model-metadata';

const MODELS_DIR = join(__dirname, '..', '..', 'fixtures', 'models');

/** The committed test models (test/fixtures/models/make_models.py). */
export const FIXTURE_MODELS = ['mlp-classifier', 'logistic-sigmoid', 'linear-regressor', 'fraud-gbt', 'wine-torch'] as const;
export type FixtureModel = (typeof FIXTURE_MODELS)[number];

export interface Fixture {
  onnx: Uint8Array;
  metadata: ModelMetadata;
  /**
   * Rows and the framework's own predictions for them (probabilities [p0, p1], [p_0, ..., p_{K-1}] or values); for
   * the multiclass models also each row's true class label and the framework's own metrics on the rows.
   */
  expected: FrameworkPredictions;
}

export interface FrameworkPredictions {
  rows: number[][];
  expected: (number | number[])[];
  labels?: (string | number)[];
  metrics?: Record<string, number>;
}

/** The expected.json of a fixture, also of one without a metadata.json (iris-logistic, which only registration can serve). */
export function loadExpected(name: string): FrameworkPredictions {
  return JSON.parse(readFileSync(join(MODELS_DIR, `${name}.expected.json`), 'utf8')) as FrameworkPredictions;
}

export function loadFixture(name: FixtureModel): Fixture {
  return {
    onnx: readFileSync(join(MODELS_DIR, `${name}.onnx`)),
    metadata: modelMetadataSchema.parse(JSON.parse(readFileSync(join(MODELS_DIR, `${name}.metadata.json`), 'utf8'))),
    expected: loadExpected(name),
  };
}

/** model.tar.gz bytes as SageMaker writes them: the given files at the archive root (or under `./`). */
export function modelArchive(files: Record<string, Uint8Array | string>, options: { dotSlash?: boolean } = {}): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'model-archive-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const archive = join(dir, 'model.tar.gz');
    const names = Object.keys(files).map((name) => (options.dotSlash ? `./${name}` : name));
    create({ gzip: true, file: archive, cwd: dir, sync: true, portable: true }, names);
    return readFileSync(archive);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function fixtureArchive(name: FixtureModel): Buffer {
  const { onnx, metadata } = loadFixture(name);
  return modelArchive({ 'model.onnx': onnx, 'metadata.json': JSON.stringify(metadata) });
}

/** Instances of the named form: `{feature: value}` in a shuffled key order. */
export function named(row: number[], metadata: ModelMetadata): Record<string, number> {
  const entries = metadata.features.map((f, i) => [f.name, row[i]] as const);
  return Object.fromEntries(entries.reverse());
}
