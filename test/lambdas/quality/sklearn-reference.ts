import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, '../../fixtures/quality/sklearn_quality.py');

/** The joined rows of one version, as the reference takes them. */
export interface ReferenceRows {
  truths: number[];
  predictions: number[];
  probabilities?: number[][];
}

/**
 * Quality measures per version computed by scikit-learn (test/fixtures/quality/sklearn_quality.py), independent of the
 * code under test. Fails naming the install command when the Debian scikit-learn is missing.
 */
export function sklearnQuality(task: string, versions: Record<string, ReferenceRows>): Record<string, Record<string, number>> {
  try {
    execFileSync(PYTHON, ['-c', 'import sklearn, numpy'], { stdio: 'pipe' });
  } catch {
    throw new Error(`${PYTHON} cannot import scikit-learn; install it with: apt-get install -y python3-sklearn`);
  }
  const output = execFileSync(PYTHON, [SCRIPT], { input: JSON.stringify({ task, versions }), maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(output.toString('utf8')) as Record<string, Record<string, number>>;
}
