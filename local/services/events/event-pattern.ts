/**
 * EventBridge event pattern matching as AWS documents it
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html):
 * exact values (numbers compared numerically), prefix, suffix, equals-ignore-case, anything-but (values, lists,
 * prefix, suffix, equals-ignore-case, wildcard), numeric ranges, exists, cidr (IPv4), wildcard, `$or`, and arrays in
 * the event matching when any element matches. Lambda event filtering (FilterCriteria) uses the same syntax.
 */

export type EventPattern = Record<string, unknown>;

export class EventPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventPatternError';
  }
}

export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return matchObject(pattern, event, true);
}

function matchObject(pattern: EventPattern, value: unknown, present: boolean): boolean {
  // An array of objects in the event matches when one of its elements does.
  if (Array.isArray(value)) return value.some((element) => matchObject(pattern, element, true));
  const object = present && value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  return Object.entries(pattern).every(([key, sub]) => {
    if (key === '$or') {
      if (!Array.isArray(sub)) throw new EventPatternError('$or must be an array of patterns');
      return sub.some((alternative) => matchObject(alternative as EventPattern, value, present));
    }
    const fieldPresent = object !== undefined && key in object;
    const field = object?.[key];
    if (Array.isArray(sub)) return matchLeaf(sub, field, fieldPresent);
    if (sub !== null && typeof sub === 'object') return matchObject(sub as EventPattern, field, fieldPresent);
    throw new EventPatternError(`the value of "${key}" must be an object or an array, got ${JSON.stringify(sub)}`);
  });
}

function matchLeaf(matchers: unknown[], field: unknown, present: boolean): boolean {
  const values = !present ? [] : Array.isArray(field) ? field : [field];
  return matchers.some((matcher) => {
    if (matcher !== null && typeof matcher === 'object' && 'exists' in matcher) {
      const leaf = present && (field === null || typeof field !== 'object' || Array.isArray(field));
      return (matcher as { exists: boolean }).exists ? leaf : !present;
    }
    return values.some((value) => matchValue(matcher, value));
  });
}

function matchValue(matcher: unknown, value: unknown): boolean {
  if (matcher === null || typeof matcher !== 'object') return equal(matcher, value);
  const [operator, operand] = Object.entries(matcher as Record<string, unknown>)[0] ?? [];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && affix(operand, value, (v, p) => v.startsWith(p));
    case 'suffix':
      return typeof value === 'string' && affix(operand, value, (v, s) => v.endsWith(s));
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === String(operand).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcard(String(operand), value);
    case 'anything-but':
      return anythingBut(operand, value);
    case 'numeric':
      return typeof value === 'number' && numeric(operand, value);
    case 'cidr':
      return typeof value === 'string' && cidr(String(operand), value);
    default:
      throw new EventPatternError(`unknown matcher ${JSON.stringify(matcher)}`);
  }
}

function equal(literal: unknown, value: unknown): boolean {
  if (typeof literal === 'number' && typeof value === 'number') return literal === value;
  return literal === value;
}

/** prefix/suffix take a string or `{ "equals-ignore-case": string }`. */
function affix(operand: unknown, value: string, test: (value: string, affix: string) => boolean): boolean {
  if (typeof operand === 'string') return test(value, operand);
  const ignoreCase = (operand as Record<string, unknown>)?.['equals-ignore-case'];
  if (typeof ignoreCase === 'string') return test(value.toLowerCase(), ignoreCase.toLowerCase());
  throw new EventPatternError(`prefix/suffix takes a string or {"equals-ignore-case": string}, got ${JSON.stringify(operand)}`);
}

function anythingBut(operand: unknown, value: unknown): boolean {
  if (Array.isArray(operand)) return !operand.some((excluded) => equal(excluded, value));
  if (operand !== null && typeof operand === 'object') return !matchValue(operand, value);
  return !equal(operand, value);
}

function numeric(operand: unknown, value: number): boolean {
  if (!Array.isArray(operand) || operand.length % 2 !== 0) {
    throw new EventPatternError(`numeric takes operator/number pairs, got ${JSON.stringify(operand)}`);
  }
  for (let i = 0; i < operand.length; i += 2) {
    const bound = Number(operand[i + 1]);
    const ok = { '<': value < bound, '<=': value <= bound, '=': value === bound, '>': value > bound, '>=': value >= bound }[
      String(operand[i]) as '<'
    ];
    if (ok === undefined) throw new EventPatternError(`unknown numeric operator "${operand[i]}"`);
    if (!ok) return false;
  }
  return true;
}

function wildcard(pattern: string, value: string): boolean {
  const regex = pattern
    .split(/(?<!\\)\*/)
    .map((part) => part.replace(/\\\*/g, '*').replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${regex}$`, 's').test(value);
}

function cidr(block: string, value: string): boolean {
  const [network, bits] = block.split('/');
  const toNumber = (ip: string) => {
    const parts = ip.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return undefined;
    return parts.reduce((n, p) => n * 256 + p, 0);
  };
  const net = toNumber(network);
  const ip = toNumber(value);
  if (net === undefined || ip === undefined) return false;
  const size = 2 ** (32 - Number(bits ?? 32));
  return Math.floor(ip / size) === Math.floor(net / size);
}
