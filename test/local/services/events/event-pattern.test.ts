import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../../local/services/events/event-pattern';

/**
 * exists on values that are not leaves. EventBridge's guide says exists "only works on leaf nodes"; these answers are
 * what aws/event-ruler (commit 337e8d99026d3f6687f783535f157be8bf4ebbb7, Machine.rulesForJSONEvent) gives for the
 * same pattern and event: an empty array, an empty object, or an array of objects holds no leaf, so the field counts
 * as absent; null is a leaf.
 */
describe('exists on empty arrays, objects and null', () => {
  it.each([
    ['exists true, empty array', { a: [{ exists: true }] }, { a: [] }, false],
    ['exists false, empty array', { a: [{ exists: false }] }, { a: [] }, true],
    ['exists true, empty object', { a: [{ exists: true }] }, { a: {} }, false],
    ['exists false, empty object', { a: [{ exists: false }] }, { a: {} }, true],
    ['exists true, array of an empty object', { a: [{ exists: true }] }, { a: [{}] }, false],
    ['exists false, array of objects', { a: [{ exists: false }] }, { a: [{ b: 1 }] }, true],
    ['exists true, null', { a: [{ exists: true }] }, { a: null }, true],
    ['exists false under an empty array', { a: { b: [{ exists: false }] } }, { a: [] }, true],
  ])('%s', (_name, pattern, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });
});
