/** Number and time formatting shared by tables, chart axes and legends. */

const SUFFIXES: [number, string][] = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** Compact, readable numbers: 1234 -> "1.23k", 0.91234 -> "0.912", 12 -> "12". */
export function formatNumber(value: number, significantDigits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  for (const [scale, suffix] of SUFFIXES) {
    if (magnitude >= scale) return `${trim((value / scale).toPrecision(significantDigits))}${suffix}`;
  }
  if (magnitude < 1e-3) {
    const [mantissa, exponent] = value.toExponential(significantDigits - 1).split('e');
    return `${trim(mantissa)}e${exponent}`;
  }
  if (Number.isInteger(value)) return String(value);
  return trim(value.toPrecision(significantDigits));
}

/** "1.50" -> "1.5", "2.00" -> "2". */
const trim = (text: string): string => (text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text);

/** Model quality metrics keep four decimals so two close candidates can be told apart. */
export const formatMetricValue = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(4));

export function formatDuration(milliseconds: number): string {
  if (milliseconds < 1000) return `${Math.round(milliseconds)} ms`;
  const seconds = Math.round(milliseconds / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** "just now", "5 min ago", "3 h ago", else the date. */
export function formatRelative(at: string | number, now: number): string {
  const time = typeof at === 'string' ? Date.parse(at) : at;
  if (!Number.isFinite(time)) return '—';
  const seconds = Math.round((now - time) / 1000);
  if (seconds < 10) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(time).toISOString().slice(0, 10);
}

/** Absolute UTC time for tooltips and tables: "2025-03-01 14:05:09 UTC". */
export function formatTimestamp(at: string | number): string {
  const time = typeof at === 'string' ? Date.parse(at) : at;
  if (!Number.isFinite(time)) return '—';
  return `${new Date(time).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Axis label for a time tick: HH:MM, with seconds when the axis spans less than five minutes. */
export function formatClock(time: number, spanMillis: number): string {
  const iso = new Date(time).toISOString();
  return spanMillis < 5 * 60_000 ? iso.slice(11, 19) : iso.slice(11, 16);
}

/** Shortens a hex digest for display: "3f2a9c…e81b". */
export const shortDigest = (digest: string): string => (digest.length > 16 ? `${digest.slice(0, 8)}…${digest.slice(-4)}` : digest);
