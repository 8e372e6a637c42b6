/** One pinned distribution of a requirements file: `name==version`, as `pip freeze` writes it. */
export interface PinnedRequirement {
  /** The name as written. */
  readonly name: string;
  /** The name as PyPI compares names (PEP 503): lowercase, runs of `-`, `_` and `.` as one `-`. */
  readonly normalizedName: string;
  readonly version: string;
  /** 1-based line of the file where the requirement starts. */
  readonly line: number;
}

export class UnpinnedRequirementError extends Error {
  readonly code = 'UnpinnedRequirement';
  constructor(
    readonly file: string,
    readonly line: number,
    text: string,
  ) {
    super(
      `${file}:${line}: "${text}" is not pinned: every requirement must be name==version (as \`pip freeze\` writes it), ` +
        `so that a build months from now installs the same packages; optional after it: extras [x], an environment marker (; python_version >= "3.11"), --hash=sha256:<digest> options`,
    );
    this.name = 'UnpinnedRequirementError';
  }
}

/** PEP 503. */
export function normalizePackageName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

// name[extras]==version ; marker --hash=algo:hex ... A version with a wildcard (==1.*) is a range, not a pin.
const NAME = String.raw`[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?`;
const PINNED = new RegExp(
  String.raw`^(${NAME})(?:\s*\[\s*${NAME}(?:\s*,\s*${NAME})*\s*\])?\s*==\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)` +
    String.raw`(?:\s*;(?:(?!\s--hash).)*)?(?:\s+--hash[=\s]\w+:[0-9a-fA-F]+)*\s*$`,
);

/**
 * The requirements of a file that must be a complete lock: blank lines and comments are allowed, every other logical
 * line (a trailing backslash continues it) is one pinned requirement. Anything else — a range, a bare name, an option
 * such as --index-url, a URL or path — is refused naming the file and line: each would make the install depend on
 * the day it runs or on the machine.
 */
export function parsePinnedRequirements(file: string, text: string): PinnedRequirement[] {
  const requirements: PinnedRequirement[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const start = index;
    let logical = lines[index];
    while (logical.endsWith('\\') && index + 1 < lines.length) logical = logical.slice(0, -1) + ' ' + lines[++index];
    const content = logical.replace(/(^|\s)#.*$/, '').trim();
    if (!content) continue;
    const match = PINNED.exec(content);
    if (!match) throw new UnpinnedRequirementError(file, start + 1, content);
    requirements.push({ name: match[1], normalizedName: normalizePackageName(match[1]), version: match[2], line: start + 1 });
  }
  return requirements;
}
