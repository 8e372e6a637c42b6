import { spawn } from 'node:child_process';

/**
 * Written by a bench child at exit: its peak resident set in KiB, VmHWM of /proc/self/status (Linux), the high-water
 * mark of its own memory. Not process.resourceUsage().maxRSS: Linux carries a parent's resident set at fork into its
 * child's maxRSS across exec, so the child of a bench process holding a few hundred MiB reports at least that much
 * whatever it used itself.
 */
const HOOK_SOURCE = `import { readFileSync } from 'node:fs';
process.on('exit', () => {
  const peak = /^VmHWM:\\s+(\\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  process.stderr.write('peak-rss-kib ' + (peak ? peak[1] : 'unknown') + '\\n');
});`;
const PEAK_RSS_HOOK = `data:text/javascript,${encodeURIComponent(HOOK_SOURCE)}`;

/**
 * Runs `node --import tsx <script> ...args` in a process of its own with PEAK_RSS_HOOK: its peak resident set in bytes
 * and, given a `marker`, the JSON its stderr prints after it. A run without them, or that exits non-zero, rejects with
 * `what` and the last line of its stderr.
 */
export function runWithPeakRss<T = undefined>(script: string, args: string[], env: Record<string, string>, marker: string | undefined, what: string): Promise<{ reported: T; peakRss: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', PEAK_RSS_HOOK, script, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (code) => {
      const kib = /peak-rss-kib (\S+)/.exec(stderr)?.[1];
      const reported = marker === undefined ? undefined : new RegExp(`${marker} (.*)`).exec(stderr)?.[1];
      // The child's own last line, not the hook's.
      const last = stderr.replace(/^peak-rss-kib .*$/m, '').trim().split('\n').pop();
      if (code !== 0 || (marker !== undefined && reported === undefined)) reject(new Error(`${what} exited ${code}: ${last}`));
      else if (!(Number(kib) > 0)) reject(new Error(`${what}: no peak resident set (VmHWM) in /proc/self/status; the benchmarks measure memory on Linux`));
      else resolve({ reported: (reported === undefined ? undefined : JSON.parse(reported)) as T, peakRss: Number(kib) * 1024 });
    });
  });
}
