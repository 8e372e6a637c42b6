/**
 * EventBridge event patterns, matched as aws/event-ruler (the library EventBridge publishes as its matcher) matches
 * them, and validated as PutRule validates them (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html):
 * exact values (numbers compared as numbers, so 3.0 matches 3; an IP address literal matches any spelling of that
 * address), prefix, suffix, equals-ignore-case (also inside prefix and suffix), wildcard (`*`, `\*`, `\\`),
 * anything-but (a value, a list of strings or of numbers, or prefix/suffix/equals-ignore-case/wildcard with one
 * operand or a list), numeric ranges, exists, cidr (IPv4 and IPv6), `$or`, nested objects, and arrays in the event
 * matching when any element matches, fields of one pattern object being matched within one array element.
 * Lambda event filtering (FilterCriteria) uses the same syntax.
 *
 * An invalid pattern is an EventPatternError when it is compiled, the way PutRule answers InvalidEventPatternException,
 * instead of a rule that silently never matches.
 */
import {
  type IpRange,
  type Leaf,
  ignoreCaseRegex,
  inRange,
  ipBytes,
  parseCidr,
  sameAddress,
  wildcardProblem,
  wildcardRegex,
} from './event-pattern-values';

export type EventPattern = Record<string, unknown>;

export class EventPatternError extends Error {
  /** EventBridge's error code for the same problem. */
  readonly code = 'InvalidEventPatternException';
  constructor(message: string) {
    super(message);
    this.name = 'EventPatternError';
  }
}

type ValueTest = (value: Leaf) => boolean;

interface LeafRule {
  readonly tests: ValueTest[];
  readonly existsTrue: boolean;
  readonly existsFalse: boolean;
}

/** One field of an object rule: its own leaf values, the fields nested under it, or (rarely) both. */
interface FieldRule {
  leaf?: LeafRule;
  object?: ObjectRule;
}

interface ObjectRule {
  readonly fields: Map<string, FieldRule>;
}

/** A sub-rule: one combination of `$or` alternatives, as leaf rules by field path (the last one for a path wins). */
type SubRule = Map<string, { path: string[]; leaf: LeafRule }>;

/** Matching operators; inside `$or` they are not field names, so `$or` is then read as an ordinary field. */
const OPERATORS = ['exactly', 'equals-ignore-case', 'prefix', 'suffix', 'anything-but', 'exists', 'wildcard', 'numeric', 'cidr'];

/** EventBridge refuses a pattern whose `$or`s multiply out to more combinations than this (PutRule's limit). */
const MAX_COMBINATIONS = 1000;

const compiled = new WeakMap<object, ObjectRule[]>();

/** Parses and validates the JSON text of a pattern (an EventPattern property or a FilterCriteria Pattern). */
export function parseEventPattern(text: string): EventPattern {
  let pattern: unknown;
  try {
    pattern = JSON.parse(text);
  } catch (err) {
    throw new EventPatternError(`Event pattern is not valid JSON: ${(err as Error).message}`);
  }
  compileEventPattern(pattern);
  return pattern as EventPattern;
}

/** Validates a pattern; throws EventPatternError naming the field and what is wrong with it. */
export function compileEventPattern(pattern: unknown): void {
  compile(pattern);
}

/** True when the event matches one of the pattern's sub-rules (one per combination of `$or` alternatives). */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return compile(pattern).some((rule) => matchObject(rule, event));
}

function compile(pattern: unknown): ObjectRule[] {
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) {
    throw new EventPatternError('Event pattern must be a JSON object');
  }
  const cached = compiled.get(pattern);
  if (cached) return cached;
  const subRules: SubRule[] = [];
  expandObject(pattern as Record<string, unknown>, [], subRules, false);
  const rules = subRules.map(toTree);
  compiled.set(pattern, rules);
  return rules;
}

/**
 * Walks the pattern in document order the way event-ruler compiles it: a leaf sets its path in every sub-rule built
 * so far (replacing what an earlier key set for the same path), and `$or` copies the sub-rules once per alternative.
 */
function expandObject(object: Record<string, unknown>, path: string[], rules: SubRule[], insideOr: boolean): void {
  const entries = Object.entries(object);
  if (!entries.length) throw invalid(path, 'empty objects are not allowed');
  for (const [key, value] of entries) {
    const at = [...path, key];
    if (key === '$or' && isOrList(value)) {
      const before = rules.map((rule) => new Map(rule));
      const after: SubRule[] = [];
      for (const alternative of value) {
        const copies = before.length ? before.map((rule) => new Map(rule)) : [new Map()];
        expandObject(alternative as Record<string, unknown>, path, copies, true);
        after.push(...copies);
        if (after.length > MAX_COMBINATIONS) {
          throw invalid(path, `$or makes more than ${MAX_COMBINATIONS} rule combinations (the product of the sizes of all $or lists)`);
        }
      }
      rules.splice(0, rules.length, ...after);
      continue;
    }
    if (insideOr && OPERATORS.includes(key)) throw invalid(at, `"${key}" is a matching operator and cannot be a field name inside $or`);
    if (Array.isArray(value)) {
      const leaf = compileLeaf(value, at);
      if (!rules.length) rules.push(new Map());
      for (const rule of rules) rule.set(JSON.stringify(at), { path: at, leaf });
    } else if (value !== null && typeof value === 'object') {
      expandObject(value as Record<string, unknown>, at, rules, insideOr);
    } else {
      throw invalid(at, `must be an object or an array, got ${JSON.stringify(value)}`);
    }
  }
}

/**
 * `$or` is the or-operator when it holds at least two objects none of which uses an operator as a field name;
 * otherwise event-ruler reads it as an ordinary field named "$or" (kept for rules written before the operator
 * existed), and so do we.
 */
function isOrList(value: unknown): value is object[] {
  return (
    Array.isArray(value) &&
    value.length >= 2 &&
    value.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !Object.keys(v).some((k) => OPERATORS.includes(k)))
  );
}

function toTree(rule: SubRule): ObjectRule {
  const root: ObjectRule = { fields: new Map() };
  for (const { path, leaf } of rule.values()) {
    let node = root;
    path.forEach((key, i) => {
      const field = node.fields.get(key) ?? {};
      node.fields.set(key, field);
      if (i === path.length - 1) field.leaf = leaf;
      else node = field.object ??= { fields: new Map() };
    });
  }
  return root;
}

function compileLeaf(values: unknown[], path: string[]): LeafRule {
  if (!values.length) throw invalid(path, 'empty arrays are not allowed');
  const tests: ValueTest[] = [];
  let existsTrue = false;
  let existsFalse = false;
  for (const value of values) {
    if (value === null || typeof value !== 'object') {
      tests.push(exactTest(value, path));
      continue;
    }
    if (Array.isArray(value)) throw invalid(path, 'a match value must be a string, number, true, false, null or an operator object');
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length !== 1) throw invalid(path, `an operator object must have exactly one key, got ${JSON.stringify(value)}`);
    const [operator, operand] = entries[0];
    if (operator === 'exists') {
      if (typeof operand !== 'boolean') throw invalid(path, 'exists must be true or false');
      if (operand) existsTrue = true;
      else existsFalse = true;
      continue;
    }
    tests.push(operatorTest(operator, operand, path));
  }
  return { tests, existsTrue, existsFalse };
}

function exactTest(literal: unknown, path: string[]): ValueTest {
  if (typeof literal === 'number') return (v) => v === literal;
  if (typeof literal === 'string') {
    const address = ipBytes(literal);
    if (address) return (v) => v === literal || (typeof v === 'string' && sameBytes(address, v));
    return (v) => v === literal;
  }
  if (literal === null || typeof literal === 'boolean') return (v) => v === literal;
  throw invalid(path, `a match value must be a string, number, true, false or null, got ${JSON.stringify(literal)}`);
}

function sameBytes(address: number[], value: string): boolean {
  const other = ipBytes(value);
  return other !== undefined && sameAddress(address, other);
}

function operatorTest(operator: string, operand: unknown, path: string[]): ValueTest {
  switch (operator) {
    case 'exactly': {
      const text = stringOperand(operator, operand, path);
      return (v) => v === text;
    }
    case 'prefix':
    case 'suffix':
      return affixTest(operator, operand, path);
    case 'equals-ignore-case': {
      const regex = ignoreCaseRegex(stringOperand(operator, operand, path), 'whole');
      return (v) => typeof v === 'string' && regex.test(v);
    }
    case 'wildcard': {
      const regex = wildcardOperand(operand, path);
      return (v) => typeof v === 'string' && regex.test(v);
    }
    case 'anything-but':
      return anythingButTest(operand, path);
    case 'numeric':
      return numericTest(operand, path);
    case 'cidr': {
      let range: IpRange;
      try {
        range = parseCidr(stringOperand(operator, operand, path));
      } catch (err) {
        if (err instanceof EventPatternError) throw err;
        throw invalid(path, (err as Error).message);
      }
      return (v) => {
        const address = typeof v === 'string' ? ipBytes(v) : undefined;
        return address !== undefined && inRange(range, address);
      };
    }
    default:
      throw invalid(path, `unrecognized match type "${operator}"`);
  }
}

/** prefix/suffix take a string or `{ "equals-ignore-case": string }`. */
function affixTest(operator: 'prefix' | 'suffix', operand: unknown, path: string[]): ValueTest {
  if (typeof operand === 'string') {
    return operator === 'prefix'
      ? (v) => typeof v === 'string' && v.startsWith(operand)
      : (v) => typeof v === 'string' && v.endsWith(operand);
  }
  if (operand !== null && typeof operand === 'object' && !Array.isArray(operand)) {
    const entries = Object.entries(operand);
    if (entries.length !== 1 || entries[0][0] !== 'equals-ignore-case') {
      throw invalid(path, `${operator} takes a string or {"equals-ignore-case": string}, got ${JSON.stringify(operand)}`);
    }
    const regex = ignoreCaseRegex(stringOperand('equals-ignore-case', entries[0][1], path), operator);
    return (v) => typeof v === 'string' && regex.test(v);
  }
  throw invalid(path, `${operator} match pattern must be a string, got ${JSON.stringify(operand)}`);
}

/**
 * anything-but matches every value present that is not excluded: a string, a number, a list of only strings or only
 * numbers, or prefix/suffix/equals-ignore-case/wildcard with one string or a list of strings.
 */
function anythingButTest(operand: unknown, path: string[]): ValueTest {
  if (typeof operand === 'number') comparable(operand, path);
  if (typeof operand === 'string' || typeof operand === 'number') return (v) => v !== operand;
  if (Array.isArray(operand)) {
    if (!operand.length) throw invalid(path, 'anything-but list must not be empty');
    const allStrings = operand.every((o) => typeof o === 'string');
    const allNumbers = operand.every((o) => typeof o === 'number');
    if (!allStrings && !allNumbers) {
      throw invalid(path, 'anything-but list must hold only strings or only numbers (not null, booleans, objects or a mix)');
    }
    const excluded = new Set<unknown>(allNumbers ? operand.map((n: number) => comparable(n, path)) : operand);
    return (v) => !excluded.has(v);
  }
  if (operand !== null && typeof operand === 'object') {
    const entries = Object.entries(operand);
    if (entries.length !== 1) throw invalid(path, `anything-but takes one operator, got ${JSON.stringify(operand)}`);
    const [operator, inner] = entries[0];
    if (!['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(operator)) {
      throw invalid(path, `unsupported anything-but pattern "${operator}" (use prefix, suffix, equals-ignore-case or wildcard)`);
    }
    const operands = Array.isArray(inner) ? inner : [inner];
    if (!operands.length) throw invalid(path, `anything-but ${operator} list must not be empty`);
    const tests = operands.map((o): ValueTest => {
      if (typeof o !== 'string') throw invalid(path, `anything-but ${operator} takes strings, got ${JSON.stringify(o)}`);
      if ((operator === 'prefix' || operator === 'suffix') && o === '') throw invalid(path, `anything-but ${operator} must not be empty`);
      if (operator === 'prefix') return (v) => typeof v === 'string' && v.startsWith(o);
      if (operator === 'suffix') return (v) => typeof v === 'string' && v.endsWith(o);
      const regex = operator === 'wildcard' ? wildcardOperand(o, path) : ignoreCaseRegex(o, 'whole');
      return (v) => typeof v === 'string' && regex.test(v);
    });
    return (v) => !tests.some((test) => test(v));
  }
  throw invalid(path, `anything-but must be a string, a number, a list, or an operator object, got ${JSON.stringify(operand)}`);
}

/**
 * numeric: ["=", n], ["<" or "<=", n], [">" or ">=", n], or a lower bound then an upper bound
 * ([">", 0, "<=", 5]), which is the only order event-ruler accepts.
 */
function numericTest(operand: unknown, path: string[]): ValueTest {
  if (!Array.isArray(operand)) throw invalid(path, 'the value of numeric must be an array');
  const number = (index: number) => {
    const value = operand[index];
    if (typeof value !== 'number') throw invalid(path, `numeric: the value after "${String(operand[index - 1])}" must be a number, got ${JSON.stringify(value)}`);
    return comparable(value, path);
  };
  const [operator] = operand;
  if (typeof operator !== 'string') throw invalid(path, `numeric must start with an operator, got ${JSON.stringify(operator)}`);
  const tooMany = () => invalid(path, `numeric: too many elements in ${JSON.stringify(operand)}`);
  switch (operator) {
    case '=': {
      const n = number(1);
      if (operand.length > 2) throw tooMany();
      return (v) => v === n;
    }
    case '<':
    case '<=': {
      const top = number(1);
      if (operand.length > 2) throw tooMany();
      return operator === '<' ? (v) => typeof v === 'number' && v < top : (v) => typeof v === 'number' && v <= top;
    }
    case '>':
    case '>=': {
      const bottom = number(1);
      const above: ValueTest = operator === '>' ? (v) => typeof v === 'number' && v > bottom : (v) => typeof v === 'number' && v >= bottom;
      if (operand.length === 2) return above;
      const upper = operand[2];
      if (upper !== '<' && upper !== '<=') throw invalid(path, `numeric: the upper bound's operator must be "<" or "<=", got ${JSON.stringify(upper)}`);
      const top = number(3);
      if (operand.length > 4) throw tooMany();
      if (bottom >= top) throw invalid(path, `numeric: the lower bound ${bottom} must be below the upper bound ${top}`);
      return upper === '<' ? (v) => above(v) && (v as number) < top : (v) => above(v) && (v as number) <= top;
    }
    default:
      throw invalid(path, `unrecognized numeric operator ${JSON.stringify(operator)} (use =, <, <=, >, >=)`);
  }
}

/** Numbers compared by range must be finite (a JSON number beyond the double range reads as Infinity). */
function comparable(value: number, path: string[]): number {
  if (!Number.isFinite(value)) throw invalid(path, `cannot compare number ${value}: it is outside the range of a double`);
  return value;
}

function stringOperand(operator: string, operand: unknown, path: string[]): string {
  if (typeof operand !== 'string') throw invalid(path, `${operator} match pattern must be a string, got ${JSON.stringify(operand)}`);
  return operand;
}

function wildcardOperand(operand: unknown, path: string[]): RegExp {
  const text = stringOperand('wildcard', operand, path);
  const problem = wildcardProblem(text);
  if (problem) throw invalid(path, `wildcard "${text}": ${problem}`);
  return wildcardRegex(text);
}

function invalid(path: string[], problem: string): EventPatternError {
  return new EventPatternError(`Event pattern is not valid at "${path.join('.') || '(root)'}": ${problem}`);
}

// ---- matching -------------------------------------------------------------------------------------------------

/** Arrays in the event are crushed: an array of arrays is one list, whose objects and leaves are matched alike. */
function elements(value: unknown): unknown[] {
  return Array.isArray(value) ? value.flatMap(elements) : [value];
}

/**
 * An object rule matches a value when the value (or, for an array, one of its elements) satisfies every field.
 * Matching one element as a whole is event-ruler's array consistency: two fields of one pattern object never match
 * in two different elements of the same array.
 */
function matchObject(rule: ObjectRule, value: unknown): boolean {
  if (Array.isArray(value)) {
    const items = elements(value);
    // An empty array holds no fields at all: the rule is judged as if the value were absent.
    return items.length ? items.some((item) => matchObject(rule, item)) : matchObject(rule, undefined);
  }
  const object = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  return [...rule.fields].every(([key, field]) => {
    const sub = object && Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
    return (!field.leaf || matchLeaf(field.leaf, sub)) && (!field.object || matchObject(field.object, sub));
  });
}

function matchLeaf(rule: LeafRule, field: unknown): boolean {
  // Only JSON leaves count as values: an object (or an array holding only objects) is no value at this path, and
  // `exists` is about leaves, so { "exists": true } is false and { "exists": false } true for {} and [].
  const leaves = field === undefined ? [] : (elements(field).filter((v) => v === null || typeof v !== 'object') as Leaf[]);
  if (!leaves.length) return rule.existsFalse;
  return rule.existsTrue || leaves.some((leaf) => rule.tests.some((test) => test(leaf)));
}
