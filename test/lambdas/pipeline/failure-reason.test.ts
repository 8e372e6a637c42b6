import { describe, expect, it } from 'vitest';
import { failureReason, MAX_REASON_CHARS } from '../../../lambdas/pipeline/failure-reason';

describe('failureReason', () => {
  it("takes a Lambda step's errorMessage", () => {
    const cause = JSON.stringify({ errorType: 'InvalidModelOutputError', errorMessage: 'the training container wrote no model.onnx to /opt/ml/model (found: metadata.json)', trace: ['at x'] });
    expect(failureReason('InvalidModelOutputError', cause)).toBe('the training container wrote no model.onnx to /opt/ml/model (found: metadata.json)');
  });

  it("takes a SageMaker training job's FailureReason", () => {
    const cause = JSON.stringify({ TrainingJobName: 'manual-1', TrainingJobStatus: 'Failed', FailureReason: 'AlgorithmError: the loss became NaN' });
    expect(failureReason('States.TaskFailed', cause)).toBe('AlgorithmError: the loss became NaN');
  });

  it("takes a Batch job's StatusReason and the gate's reason", () => {
    expect(failureReason('States.TaskFailed', JSON.stringify({ JobId: 'j', Status: 'FAILED', StatusReason: 'Essential container in task exited: column "fault", row 3 …' }))).toMatch(/^Essential container/);
    const gate = JSON.stringify({ metrics: {}, gate: { passed: false, reason: 'holdout macroF1 0.61 misses the threshold >= 0.7' } });
    expect(failureReason('ModelBelowThreshold', gate)).toBe('holdout macroF1 0.61 misses the threshold >= 0.7');
  });

  it('keeps any other cause as it is, falls back to the error name, and bounds the length', () => {
    expect(failureReason('States.Timeout', 'State "Train" timed out')).toBe('State "Train" timed out');
    expect(failureReason('States.Timeout', '')).toBe('States.Timeout');
    expect(failureReason('X', JSON.stringify({ errorMessage: 'y'.repeat(5000) }))).toHaveLength(MAX_REASON_CHARS);
  });
});
