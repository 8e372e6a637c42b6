import { describe, expect, it } from 'vitest';
import { InvalidRequestError, PayloadTooLargeError } from '../../../lambdas/inference/errors';
import { checkBodySize, DEFAULT_LIMITS, type FeatureLayout, parseInvocation } from '../../../lambdas/inference/request-schema';

const names = ['amount', 'velocity', 'distance', 'age'];
const layout: FeatureLayout = { featureNames: names, featureIndex: new Map(names.map((n, i) => [n, i])), width: 4 };
const parse = (body: string, limits = DEFAULT_LIMITS) => parseInvocation(body, layout, limits);

describe('parseInvocation', () => {
  it('reads positional and named instances (mixed) into one row-major float32 matrix', () => {
    const invocation = parse(JSON.stringify({ instances: [[1, 2, 3, 4], { age: 8, amount: 5, distance: 7, velocity: 6 }] }));
    expect(invocation.rows).toBe(2);
    expect(Array.from(invocation.features)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it.each([
    ['not JSON', '{"instances": [1, 2', /^body: expected JSON of the form \{"instances": \[\.\.\.\]\}: /],
    ['not an object', '[[1, 2, 3, 4]]', /^body: expected an object \{"instances": \[\.\.\.\]\}$/],
    ['no instances', '{}', /^instances: expected an array of instances$/],
    ['instances not an array', '{"instances": "all"}', /^instances: expected an array of instances$/],
    ['no rows', '{"instances": []}', /^instances: expected at least one instance$/],
    ['an unknown top-level field', '{"instances": [[1,2,3,4]], "inputs": 1}', /^body: unknown field\(s\) "inputs"; expected only "instances"$/],
    ['a scalar row', '{"instances": [[1,2,3,4], 5]}', /^instances\[1\]: expected an array of 4 numbers or an object of named features, got 5$/],
    ['a null row', '{"instances": [null]}', /^instances\[0\]: expected an array of 4 numbers or an object of named features, got null$/],
    ['a short row', '{"instances": [[1,2,3]]}', /^instances\[0\]: expected 4 values in feature order \(amount, velocity, distance, age\), got 3$/],
    ['a long row', '{"instances": [[1,2,3,4,5]]}', /^instances\[0\]: expected 4 values in feature order .*, got 5$/],
    ['a string value', '{"instances": [[1,2,3,4],[1,2,"abc",4]]}', /^instances\[1\]\[2\]: expected a finite number, got "abc"$/],
    ['a numeric string', '{"instances": [["1",2,3,4]]}', /^instances\[0\]\[0\]: expected a finite number, got "1"$/],
    ['a "NaN" string', '{"instances": [[1,"NaN",3,4]]}', /^instances\[0\]\[1\]: expected a finite number, got "NaN"$/],
    ['an overflowing number', '{"instances": [[1,2,1e999,4]]}', /^instances\[0\]\[2\]: expected a finite number within float32 range, got Infinity$/],
    ['a number beyond float32', '{"instances": [[1,2,3,-1e39]]}', /^instances\[0\]\[3\]: expected a finite number within float32 range, got -1e\+39$/],
    ['a boolean', '{"instances": [[true,2,3,4]]}', /^instances\[0\]\[0\]: expected a finite number, got true$/],
    ['null', '{"instances": [[null,2,3,4]]}', /^instances\[0\]\[0\]: expected a finite number, got null$/],
    ['a nested array', '{"instances": [[[1],2,3,4]]}', /^instances\[0\]\[0\]: expected a finite number, got an array$/],
    ['an unknown feature', '{"instances": [{"amount":1,"velocity":2,"distance":3,"age":4,"foo":5}]}', /^instances\[0\]: unknown feature "foo"$/],
    ['a missing feature', '{"instances": [{"velocity":2,"distance":3,"age":4}]}', /^instances\[0\]: missing feature "amount"$/],
    ['a bad named value', '{"instances": [{"amount":"12","velocity":2,"distance":3,"age":4}]}', /^instances\[0\]\.amount: expected a finite number, got "12"$/],
    ['a __proto__ key', '{"instances": [{"__proto__":1,"amount":1,"velocity":2,"distance":3}]}', /^instances\[0\]: unknown feature "__proto__"$/],
  ])('refuses %s, naming the field', (_what, body, message) => {
    let error: unknown;
    try {
      parse(body);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses more instances than the limit', () => {
    const body = JSON.stringify({ instances: [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]] });
    expect(() => parse(body, { ...DEFAULT_LIMITS, maxInstances: 2 })).toThrow('instances: at most 2 instances per request');
  });

  it('never echoes a long value back', () => {
    const long = 'x'.repeat(10_000);
    expect(() => parse(JSON.stringify({ instances: [[long, 2, 3, 4]] }))).toThrow(`got "${'x'.repeat(40)}…"`);
  });
});

describe('checkBodySize', () => {
  const limits = { ...DEFAULT_LIMITS, maxBodyBytes: 100 };

  it('accepts a body at the limit and refuses one byte more', () => {
    expect(() => checkBodySize('x'.repeat(100), false, limits)).not.toThrow();
    expect(() => checkBodySize('x'.repeat(101), false, limits)).toThrow(PayloadTooLargeError);
  });

  it('counts UTF-8 bytes, not characters', () => {
    expect(() => checkBodySize('é'.repeat(50), false, limits)).not.toThrow();
    expect(() => checkBodySize('é'.repeat(51), false, limits)).toThrow('body: 102 bytes exceeds the limit of 100 bytes');
  });

  it('counts the decoded size of a base64 body', () => {
    expect(() => checkBodySize(Buffer.alloc(100).toString('base64'), true, limits)).not.toThrow();
    expect(() => checkBodySize(Buffer.alloc(103).toString('base64'), true, limits)).toThrow(PayloadTooLargeError);
  });
});
