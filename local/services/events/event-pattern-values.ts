/**
 * The value side of EventBridge event patterns: how one leaf value of an event (string, number, boolean or null) is
 * compared with one operand, with aws/event-ruler's semantics (the library EventBridge's matching is published as).
 */

/** A leaf value of an event: arrays are flattened into their elements and objects are never leaves. */
export type Leaf = string | number | boolean | null;

/**
 * Case-insensitive matching as event-ruler does it: each character of the operand matches its lower-case or its
 * upper-case form (so "ß" matches "ß" and "SS"), compared character by character rather than by folding both sides.
 */
export function ignoreCaseRegex(operand: string, anchor: 'whole' | 'prefix' | 'suffix'): RegExp {
  const body = Array.from(operand)
    .map((c) => {
      const forms = new Set([c.toLowerCase(), c.toUpperCase()]);
      return forms.size === 1 ? escapeRegex(c.toLowerCase()) : `(?:${[...forms].map(escapeRegex).join('|')})`;
    })
    .join('');
  const source = anchor === 'whole' ? `^${body}$` : anchor === 'prefix' ? `^${body}` : `${body}$`;
  return new RegExp(source, 'su');
}

/** Why a wildcard operand is invalid, or undefined when it is valid (same rules and wording as event-ruler). */
export function wildcardProblem(operand: string): string | undefined {
  for (let i = 0; i < operand.length; i++) {
    if (operand[i] === '*' && operand[i + 1] === '*') return `consecutive wildcard characters at position ${i}`;
    if (operand[i] === '\\') {
      if (operand[i + 1] !== '*' && operand[i + 1] !== '\\') {
        return `invalid escape character at position ${i} (a backslash may only escape * or \\)`;
      }
      i++;
    }
  }
  return undefined;
}

/** `*` matches any run of characters (also none); `\*` is a literal asterisk and `\\` a literal backslash. */
export function wildcardRegex(operand: string): RegExp {
  let source = '';
  for (let i = 0; i < operand.length; i++) {
    const c = operand[i];
    if (c === '*') source += '.*';
    else if (c === '\\') source += escapeRegex(operand[++i]);
    else source += escapeRegex(c);
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const IPV4 = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

/**
 * The bytes of an IPv4 (4 bytes) or IPv6 (16 bytes) address literal, or undefined for anything else. Like
 * event-ruler, only plain dotted-quad IPv4 and hexadecimal-and-colon IPv6 literals count as addresses.
 */
export function ipBytes(text: string): number[] | undefined {
  if (IPV4.test(text)) {
    const parts = text.split('.').map(Number);
    return parts.every((p) => p <= 255) ? parts : undefined;
  }
  if (!IPV6.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? head.length !== 8 : missing < 1) return undefined;
  const words = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (words.some((w) => !/^[0-9a-fA-F]{1,4}$/.test(w))) return undefined;
  const bytes = words.flatMap((w) => [parseInt(w, 16) >> 8, parseInt(w, 16) & 0xff]);
  // An IPv4-mapped IPv6 address is that IPv4 address (as Java's InetAddress, which event-ruler uses, reads it).
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

export interface IpRange {
  readonly low: number[];
  readonly high: number[];
}

/** Parses "address/bits"; throws a message naming what is wrong. */
export function parseCidr(text: string): IpRange {
  const parts = text.split('/');
  if (parts.length !== 2) throw new Error(`malformed CIDR "${text}": exactly one "/" is required`);
  if (!/^-?[0-9]+$/.test(parts[1])) throw new Error(`malformed CIDR "${text}": the mask bits must be an integer`);
  const bits = Number(parts[1]);
  if (bits < 0) throw new Error(`malformed CIDR "${text}": the mask bits must not be negative`);
  const address = ipBytes(parts[0]);
  if (address === undefined) throw new Error(`invalid IP address "${parts[0]}" in CIDR "${text}"`);
  // event-ruler refuses a mask covering the whole address (/32 for IPv4, /128 for IPv6); a single address is
  // written as a plain string value instead.
  const maxBits = address.length * 8 - 1;
  if (bits > maxBits) throw new Error(`malformed CIDR "${text}": ${address.length === 4 ? 'IPv4' : 'IPv6'} mask bits must be < ${maxBits + 1}`);
  const low = address.map((byte, i) => byte & maskByte(bits, i));
  const high = address.map((byte, i) => byte | (~maskByte(bits, i) & 0xff));
  return { low, high };
}

function maskByte(bits: number, index: number): number {
  const kept = Math.max(0, Math.min(8, bits - index * 8));
  return (0xff << (8 - kept)) & 0xff;
}

export function inRange(range: IpRange, address: number[]): boolean {
  return address.length === range.low.length && compareBytes(address, range.low) >= 0 && compareBytes(address, range.high) <= 0;
}

export function sameAddress(a: number[], b: number[]): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

function compareBytes(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
