import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const doc = readFileSync('docs/architecture.md', 'utf8');
const section = /^## Folders and contracts\n([\s\S]*?)\n## /m.exec(doc)?.[1] ?? '';
const rows = (header: string) => {
  const table = section.slice(section.indexOf(header)).split('\n\n')[0];
  return table.split('\n').slice(2).map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
};
const codeSpans = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map(([, text]) => text);

describe('docs/architecture.md, "Folders and contracts"', () => {
  it('lists every file of contracts/, each once', () => {
    const listed = rows('| file | the contract |').flatMap(([file]) => codeSpans(file));
    const files = readdirSync('contracts').map((name) => `contracts/${name}`).sort();
    expect([...listed].sort()).toEqual(files);
  });

  it('names only folders and files that exist, in the stage table relative to its column', () => {
    const bases = ['', 'lib/', '', 'local/services/', 'console/src/views/'];
    const named = rows('| stage | infrastructure').flatMap((cells) => cells.flatMap((cell, column) => codeSpans(cell).map((path) => bases[column] + path)));
    const elsewhere = codeSpans(section).filter((text) => /^(bin|lib|local|console|contracts|lambdas|pipelines|test)\//.test(text));
    expect(named.length).toBeGreaterThan(20);
    expect([...named, ...elsewhere].filter((path) => !existsSync(path))).toEqual([]);
  });
});
