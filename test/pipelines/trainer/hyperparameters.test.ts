import { describe, expect, it } from 'vitest';
import { parseTeamConfig, type TeamConfig } from '../../../contracts/team-config';
import {
  MAX_HYPERPARAMETER_KEY_LENGTH,
  MAX_HYPERPARAMETER_LENGTH,
  MAX_HYPERPARAMETERS,
  RESERVED_HYPERPARAMETERS,
  trainingHyperparameters,
} from '../../../pipelines/trainer/hyperparameters';
import { exampleConfig } from '../../helpers/synth';

/** The example team with a training container of its own (multiclass when `classes` are given). */
function containerTeam(hyperparameters: Record<string, string | number | boolean>, classes?: string[]): TeamConfig {
  const base = exampleConfig();
  return parseTeamConfig({
    ...base,
    model: classes ? { ...base.model, task: 'multiclass-classification', classes } : base.model,
    evaluation: classes ? { ...base.evaluation, primaryMetric: 'macroF1' } : base.evaluation,
    training: { ...base.training, container: { imageUri: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/trainer:1' }, hyperparameters },
  });
}

describe('trainingHyperparameters for a training container', () => {
  it('sets task, label, features and classes, and passes the team keys through as strings, without algorithm', () => {
    const config = containerTeam({ epochs: 30, dropout: 0.1, amp: true, optimizer: 'adamw' }, ['low', 'medium', 'high']);
    expect(trainingHyperparameters(config)).toEqual({
      epochs: '30',
      dropout: '0.1',
      amp: 'true',
      optimizer: 'adamw',
      task: 'multiclass-classification',
      label: config.model.label,
      features: JSON.stringify(config.model.features),
      classes: '["low","medium","high"]',
    });
  });

  it('sets no classes for a binary classifier and does not apply the built-in schema to team keys', () => {
    const hyperparameters = trainingHyperparameters(containerTeam({ maxDepth: 'deep', tres: 5 }));
    expect(hyperparameters).toMatchObject({ maxDepth: 'deep', tres: '5', task: 'binary-classification' });
    expect(Object.keys(hyperparameters)).not.toContain('classes');
    expect(Object.keys(hyperparameters)).not.toContain('algorithm');
  });

  it('refuses every key the platform sets, naming each', () => {
    const shadowing = Object.fromEntries(RESERVED_HYPERPARAMETERS.map((key) => [key, 'x']));
    expect(() => trainingHyperparameters(containerTeam(shadowing))).toThrow(
      new RegExp(RESERVED_HYPERPARAMETERS.map((key) => `training\\.hyperparameters\\.${key}: is set from the team config`).join('; ')),
    );
  });

  it('holds a container to the same SageMaker value length as the built-in trainer, naming the key', () => {
    const long = 'x'.repeat(MAX_HYPERPARAMETER_LENGTH + 1);
    expect(() => trainingHyperparameters(containerTeam({ notes: long }))).toThrow(
      `training.hyperparameters.notes: ${MAX_HYPERPARAMETER_LENGTH + 1} characters, SageMaker allows ${MAX_HYPERPARAMETER_LENGTH}`,
    );
    const builtIn = exampleConfig();
    expect(() => trainingHyperparameters({ ...builtIn, training: { ...builtIn.training, hyperparameters: { notes: long } } })).toThrow(
      `training.hyperparameters.notes: ${MAX_HYPERPARAMETER_LENGTH + 1} characters`,
    );
  });

  it('refuses a key longer than SageMaker takes', () => {
    const key = 'k'.repeat(MAX_HYPERPARAMETER_KEY_LENGTH + 1);
    expect(() => trainingHyperparameters(containerTeam({ [key]: 1 }))).toThrow(
      `training.hyperparameters.${key}: the name has ${MAX_HYPERPARAMETER_KEY_LENGTH + 1} characters, SageMaker allows ${MAX_HYPERPARAMETER_KEY_LENGTH}`,
    );
  });

  it('names the model section when a value the platform sets is too long for SageMaker', () => {
    const manyClasses = Array.from({ length: 100 }, (_, i) => `a-rather-long-class-name-${i}`);
    expect(() => trainingHyperparameters(containerTeam({}, manyClasses))).toThrow(/classes \(from the team's model section\): \d+ characters, SageMaker allows 2500/);
  });

  it("refuses more hyperparameters than SageMaker takes, counting the platform's", () => {
    const many = Object.fromEntries(Array.from({ length: MAX_HYPERPARAMETERS - 2 }, (_, i) => [`p${i}`, i]));
    expect(() => trainingHyperparameters(containerTeam(many))).toThrow(
      `training.hyperparameters: ${MAX_HYPERPARAMETERS + 1} hyperparameters with the ones the platform sets, SageMaker allows ${MAX_HYPERPARAMETERS}`,
    );
  });
});
