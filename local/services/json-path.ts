/**
 * The JSONPath subset used by EventBridge input paths and by Step Functions payload templates: `$`, `.key`,
 * `['key']`, `[n]`, `[*]` and `.*`. A path with a wildcard is indefinite and yields a list (possibly empty), as in
 * Step Functions (Jayway JsonPath); a definite path yields the one value or undefined.
 */
type Token = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

class JsonPathSyntaxError extends Error {
  constructor(path: string) {
    super(`unsupported JSONPath "${path}"`);
    this.name = 'JsonPathSyntaxError';
  }
}

export function parsePath(path: string): Token[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const tokens: Token[] = [];
  const pattern = /\.\*|\[\*\]|\.([A-Za-z_$][\w$-]*)|\['([^']*)'\]|\[(\d+)\]/y;
  let position = 1;
  while (position < path.length) {
    pattern.lastIndex = position;
    const match = pattern.exec(path);
    if (!match) return undefined;
    if (match[0] === '.*' || match[0] === '[*]') tokens.push({ kind: 'wildcard' });
    else if (match[1] !== undefined || match[2] !== undefined) tokens.push({ kind: 'key', key: match[1] ?? match[2] });
    else tokens.push({ kind: 'index', index: Number(match[3]) });
    position = pattern.lastIndex;
  }
  return tokens;
}

export function isIndefinite(tokens: Token[]): boolean {
  return tokens.some((t) => t.kind === 'wildcard');
}

/** Every value the path selects. */
function selectAll(value: unknown, tokens: Token[]): unknown[] {
  let current: unknown[] = [value];
  for (const token of tokens) {
    const next: unknown[] = [];
    for (const item of current) {
      if (item === null || typeof item !== 'object') continue;
      if (token.kind === 'wildcard') next.push(...(Array.isArray(item) ? item : Object.values(item)));
      else if (token.kind === 'index') {
        if (Array.isArray(item) && token.index < item.length) next.push(item[token.index]);
      } else if (!Array.isArray(item) && Object.prototype.hasOwnProperty.call(item, token.key)) {
        next.push((item as Record<string, unknown>)[token.key]);
      }
    }
    current = next;
  }
  return current;
}

/** The path's result: a list for an indefinite path, else the value (undefined when nothing matches). */
export function queryPath(value: unknown, path: string): unknown {
  const tokens = parsePath(path);
  if (!tokens) throw new JsonPathSyntaxError(path);
  const values = selectAll(value, tokens);
  return isIndefinite(tokens) ? values : values[0];
}
