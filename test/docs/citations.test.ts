import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Comments and docs cite docs/*.md, which ship with the repository — never DESIGN.md, a planning
 * document that does not (docs/ARCHITECTURE.md, "Conventions"). Every file outside
 * node_modules and .git is checked, workflows and scripts included.
 */
const root = join(import.meta.dirname, '..', '..');
const SELF = 'test/docs/citations.test.ts';
const CITES_DESIGN = /\bDESIGN(?:\.md)?\b/;

function files(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === '.git' || e.name === '.switchyard') continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) files(path, out);
    else if (e.isFile() && statSync(path).size < 2 * 1024 * 1024) out.push(path);
  }
  return out;
}

const citations = (sources: Array<{ path: string; text: string }>): string[] =>
  sources.flatMap(({ path, text }) =>
    text
      .split('\n')
      .map((line, i) => [line, i + 1] as const)
      .filter(([line]) => CITES_DESIGN.test(line))
      .map(([line, n]) => `${path}:${n}: ${line.trim()}`),
  );

describe('citations', () => {
  it('the detector finds DESIGN and DESIGN.md, not words that contain it', () => {
    expect(
      citations([{ path: 'a.yml', text: '# (DESIGN §5)\n// see DESIGN.md\nconst DESIGNER = 1;\n// docs/testing.md' }]),
    ).toEqual(['a.yml:1: # (DESIGN §5)', 'a.yml:2: // see DESIGN.md']);
  });

  it('no file outside node_modules cites DESIGN (cite docs/*.md instead)', () => {
    const all = files(root)
      .map((f) => relative(root, f).split(sep).join('/'))
      .filter((p) => p !== SELF)
      .map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
    expect(all.length).toBeGreaterThan(500);
    expect(citations(all)).toEqual([]);
  });
});
