/**
 * Feature and label names are identifiers (contracts/team-config.ts `featureSchema`): they become JSON keys, metric
 * dimensions and Python keyword arguments. Data files from elsewhere often have headers such as "mean radius";
 * these helpers name such headers and the identifier to use instead, in one message for all of them.
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_IDENTIFIER_LENGTH = 64;

export const isIdentifier = (name: string): boolean => IDENTIFIER.test(name);

/**
 * The identifier a header most likely stands for: runs of other characters become one `_`, none at either end,
 * `_` in front of a leading digit, at most 64 characters. "mean radius" -> "mean_radius", "2nd dose (mg)" ->
 * "_2nd_dose_mg"; a header with nothing usable gives `column_<position>`.
 */
export function identifierFor(header: string, position: number): string {
  const words = header.trim().replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (words === '') return `column_${position}`;
  return (/^[0-9]/.test(words) ? `_${words}` : words).slice(0, MAX_IDENTIFIER_LENGTH);
}

/**
 * One message naming every column of `names` that is not an identifier and the identifier to rename it to, or
 * undefined when all are identifiers. `source` names the file; `role` says what the columns would be used as.
 */
export function nonIdentifierColumnsMessage(source: string, names: readonly string[], role = 'feature names'): string | undefined {
  const renames = names.flatMap((name, i) => (isIdentifier(name) ? [] : [`"${name}" -> ${identifierFor(name, i + 1)}`]));
  if (renames.length === 0) return undefined;
  const count = renames.length === 1 ? '1 column is not an identifier' : `${renames.length} columns are not identifiers`;
  return `${source}: ${count} (letters, digits and _, not starting with a digit), so cannot be used as ${role}; rename in the header row: ${renames.join(', ')}`;
}
