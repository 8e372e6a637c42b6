import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest global setup: every temporary directory of a test run goes under one directory, removed when the run ends.
 * The test workers inherit TMPDIR, so os.tmpdir() — where tests, the twin and aws-cdk-lib (an App without `outdir`
 * synthesizes to a fresh `cdk.out*` directory of half a gigabyte with the bundled assets) make their directories — is
 * inside it. Without this, a full run left tens of gigabytes in /tmp.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'mlops-tests-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
