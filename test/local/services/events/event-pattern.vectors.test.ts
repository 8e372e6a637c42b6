import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventPatternError, compileEventPattern, matchesPattern, parseEventPattern } from '../../../../local/services/events/event-pattern';

/**
 * Test vectors of aws/event-ruler, the matching library EventBridge publishes, run through the twin's matcher.
 *
 * Where they come from: event-ruler-vectors/<TestClass>.json holds every pattern and event that event-ruler's own test
 * class src/test/software/amazon/event/ruler/<TestClass>.java (at commit 337e8d99026d3f6687f783535f157be8bf4ebbb7 of
 * https://github.com/aws/event-ruler) gave to the library while its suite ran, each with the answer a fresh
 * event-ruler Machine gives at that commit: the pattern is invalid (addRule throws; its message is kept), valid, or
 * matches / does not match the event. Each file's "source" and "captured" fields say so again, with the limits.
 * eventbridge-docs-vectors.json holds the examples of the EventBridge user guide, with the answers the guide gives.
 */

interface Vector {
  test: string;
  pattern?: unknown;
  /** The pattern as text, where JSON.parse would change it (a number it cannot represent) or it is not JSON. */
  patternText?: string;
  event?: unknown;
  eventText?: string;
  matches?: boolean;
  valid?: true;
  invalid?: string;
}

interface VectorFile {
  source: { repository?: string; commit?: string; files?: string[]; pages?: string[] };
  vectors: Vector[];
}

/**
 * Where EventBridge's documentation and event-ruler disagree, the twin follows the documentation (the one other such
 * case, $or making more than 1000 combinations, which EventBridge refuses and event-ruler accepts, is a vector of
 * eventbridge-docs-vectors.json). Keyed by "<file> <test> <pattern text>"; each entry gives the twin's answer and why.
 */
const DOCUMENTED_DEVIATIONS: Record<string, { expected: 'valid' | boolean; why: string }> = {};
const DOTTED_KEYS =
  'A key with a dot ("properties.foo") is one field name: EventBridge requires "the field names ... in the event with ' +
  'the same nesting structure" (Creating event patterns). event-ruler joins paths with dots internally, so it also ' +
  'matches {"properties": {"foo": ...}}; its README calls that a caveat that "should not be relied upon".';
for (const [test, pattern] of [
  [
    'testIssue255WildcardDeleteRuleOrderIndependent',
    '{"type":["track"],"name":["event"],"properties.foo":[{"wildcard":"*bar*"}],"properties.color":[{"anything-but":["purple","pink"]},{"exists":false}],"properties.count":[{"numeric":["<=",2]}],"properties.active":["true"],"properties.dob":[{"exists":true}]}',
  ],
  ['testIssue255WildcardPlusNumericDeleteRuleCorruption', '{"name":["test"],"properties.foo":[{"wildcard":"*bar*"}],"properties.count":[{"numeric":["<=",2]}]}'],
  [
    'testDeleteMixedOperatorShapeWithSharedWildcard',
    '{"source":["app.orders"],"detail.createdAt":[{"exists":true}],"detail.tier":[{"anything-but":["gold","silver"]},{"exists":false}],"detail.code":[{"prefix":"ev_"}],"detail.count":[{"numeric":["<=",2]}],"detail.extra":["sibling_only"],"detail.path":[{"wildcard":"*checkout*"}]}',
  ],
  [
    'testDeleteMixedOperatorShapeWithSharedWildcard',
    '{"source":["app.orders"],"detail.createdAt":[{"exists":true}],"detail.tier":[{"anything-but":["gold","silver"]},{"exists":false}],"detail.code":[{"prefix":"ev_"}],"detail.count":[{"numeric":["<=",2]}],"detail.path":[{"wildcard":"*checkout*"}]}',
  ],
  ['testIssue255WildcardDeleteRuleGhost', '{"name":["test"],"properties.foo":[{"wildcard":"*bar*"}]}'],
]) {
  DOCUMENTED_DEVIATIONS[`event-ruler-vectors/MachineTest.json ${test} ${pattern}`] = { expected: false, why: DOTTED_KEYS };
}
DOCUMENTED_DEVIATIONS['event-ruler-vectors/JsonRuleCompilerTest.json testNumericExpressions {"x": [{"numeric": ["=", 1E-325]}]}'] = {
  expected: 'valid',
  why:
    'event-ruler refuses 1E-325 because no double equals it exactly. The twin reads patterns from JSON.parse (the ' +
    'synthesized template, PutRule input), which turns 1E-325 into 0 before the matcher sees it, and 0 is a valid bound.',
};

const files = [
  ...readdirSync(join(__dirname, 'event-ruler-vectors'))
    .filter((name) => name.endsWith('.json'))
    .map((name) => join('event-ruler-vectors', name)),
  'eventbridge-docs-vectors.json',
];
const used = new Set<string>();

function patternTextOf(vector: Vector): string {
  return vector.patternText ?? JSON.stringify(vector.pattern);
}

function compileVector(vector: Vector): unknown {
  if (vector.patternText === undefined) {
    compileEventPattern(vector.pattern);
    return vector.pattern;
  }
  return parseEventPattern(vector.patternText);
}

describe.each(files)('pattern vectors from %s', (file) => {
  const document = JSON.parse(readFileSync(join(__dirname, file), 'utf8')) as VectorFile;

  it('says where its vectors come from', () => {
    expect(document.source.repository ?? document.source.pages?.[0]).toMatch(/^https:\/\//);
    expect(document.vectors.length).toBeGreaterThan(0);
  });

  it.each(document.vectors.map((vector, index) => [`${index} ${vector.test}`, vector] as const))('%s', (_name, vector) => {
    const key = `${file} ${vector.test} ${patternTextOf(vector)}`;
    const deviation = DOCUMENTED_DEVIATIONS[key];
    if (deviation) used.add(key);
    const hasEvent = vector.event !== undefined || vector.eventText !== undefined;
    if (vector.invalid !== undefined && deviation?.expected !== 'valid') {
      expect(() => compileVector(vector)).toThrow(EventPatternError);
      return;
    }
    const pattern = compileVector(vector) as Record<string, unknown>;
    if (!hasEvent) return;
    const event = vector.eventText === undefined ? vector.event : JSON.parse(vector.eventText);
    const expected = typeof deviation?.expected === 'boolean' ? deviation.expected : vector.matches;
    expect(matchesPattern(pattern, event)).toBe(expected);
  });
});

describe('documented deviations from event-ruler', () => {
  it('each one names a vector that exists (so none is left behind when the vectors are captured again)', () => {
    expect([...used].sort()).toEqual(Object.keys(DOCUMENTED_DEVIATIONS).sort());
  });
});
