import { describe, expect, it } from 'vitest';
import { normalizePackageName, parsePinnedRequirements } from '../../../local/services/python-requirements';

describe('a requirements file as a complete lock', () => {
  it('reads name==version lines, skipping comments and blank lines', () => {
    const text = '# the lock\n\nnumpy==1.26.4\ntyping_extensions==4.12.2  # what torch imports\n';

    expect(parsePinnedRequirements('requirements.txt', text)).toEqual([
      { name: 'numpy', normalizedName: 'numpy', version: '1.26.4', line: 3 },
      { name: 'typing_extensions', normalizedName: 'typing-extensions', version: '4.12.2', line: 4 },
    ]);
  });

  it('accepts extras, an environment marker and --hash options continued over lines', () => {
    const text = [
      'uvicorn[standard]==0.30.6',
      'tomli==2.0.1 ; python_version < "3.11"',
      'six==1.16.0 \\',
      '    --hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254 \\',
      '    --hash=sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926',
      'packaging==24.1',
    ].join('\n');

    expect(parsePinnedRequirements('requirements.txt', text).map(({ name, version, line }) => [name, version, line])).toEqual([
      ['uvicorn', '0.30.6', 1],
      ['tomli', '2.0.1', 2],
      ['six', '1.16.0', 3],
      ['packaging', '24.1', 6],
    ]);
  });

  it.each([
    ['a range', 'numpy>=1.26'],
    ['a bare name', 'numpy'],
    ['a wildcard version', 'numpy==1.*'],
    ['an option', '--index-url https://example.org/simple'],
    ['a URL', 'numpy @ https://example.org/numpy-1.26.4.whl'],
    ['another file', '-r base.txt'],
  ])('refuses %s, naming the file and line', (_, line) => {
    expect(() => parsePinnedRequirements('image/requirements.txt', `numpy==1.26.4\n\n${line}\n`)).toThrow(
      expect.objectContaining({
        name: 'UnpinnedRequirementError',
        code: 'UnpinnedRequirement',
        file: 'image/requirements.txt',
        line: 3,
        message: expect.stringMatching(new RegExp(`^image/requirements\\.txt:3: "${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" is not pinned: every requirement must be name==version`)),
      }),
    );
  });

  it('compares names as PyPI does (PEP 503)', () => {
    expect(['Typing_Extensions', 'typing.extensions', 'typing--extensions'].map(normalizePackageName)).toEqual([
      'typing-extensions',
      'typing-extensions',
      'typing-extensions',
    ]);
  });
});
