import { describe, expect, it } from 'vitest';
import { failureReasonFromOutput } from '../../../../local/services/containers/failure-reason';

describe('the failure reason of a container that left no failure file', () => {
  it("is a Python traceback's exception line, with the lines of a multi-line message", () => {
    const tail = [
      'epoch 3',
      'Traceback (most recent call last):',
      '  File "/ctx/train.py", line 12, in <module>',
      '    fit(rows)',
      '    ^^^^^^^^^',
      'KeyError: "column \'amount\' is missing"',
      'columns found: a, b',
    ];

    expect(failureReasonFromOutput({ exitCode: 1, signal: null, tail })).toBe('KeyError: "column \'amount\' is missing" | columns found: a, b (exit code 1)');
  });

  it('is the exception of the last traceback when exceptions were chained', () => {
    const tail = [
      'Traceback (most recent call last):',
      '  File "/ctx/train.py", line 3, in <module>',
      "ValueError: could not convert string to float: 'x'",
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "/ctx/train.py", line 5, in <module>',
      'RuntimeError: the train channel is not numeric',
    ];

    expect(failureReasonFromOutput({ exitCode: 1, signal: null, tail })).toBe('RuntimeError: the train channel is not numeric (exit code 1)');
  });

  it('is the last three lines printed otherwise, and says which signal ended the process', () => {
    const tail = ['loading', 'epoch 1', '', 'epoch 2', 'out of memory?'];

    expect(failureReasonFromOutput({ exitCode: 137, signal: 'SIGKILL', tail })).toBe('epoch 1 | epoch 2 | out of memory? (killed by SIGKILL)');
    expect(failureReasonFromOutput({ exitCode: 2, signal: null, tail: [] })).toBe('exit code 2');
  });
});
