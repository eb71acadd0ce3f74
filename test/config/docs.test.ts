import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODES, SCHEMAS } from '../../src/config/index.ts';
import { DOC_SECTIONS, resourcesDoc } from '../../src/config/docs/resources-doc.ts';
import { BASE_FIXTURE } from './helpers.ts';

const REPO = join(import.meta.dirname, '..', '..');

describe('docs/resources.md', () => {
  it('is exactly what the schemas, the code catalogue and the examples generate (run `npm run schemas`)', async () => {
    const sections = await Promise.all(
      DOC_SECTIONS.map(async (s) => {
        const text = await readFile(join(BASE_FIXTURE, s.path), 'utf8');
        return { ...s, example: s.path.endsWith('.jsonl') ? (text.split('\n')[0] ?? '') : text };
      }),
    );
    expect(await readFile(join(REPO, 'docs/resources.md'), 'utf8')).toBe(resourcesDoc(sections));
  });

  it('documents every resource kind, every top-level property and every code', async () => {
    const doc = await readFile(join(REPO, 'docs/resources.md'), 'utf8');
    expect(DOC_SECTIONS.map((s) => s.schema).sort()).toEqual(Object.keys(SCHEMAS).sort());
    for (const [name, schema] of Object.entries(SCHEMAS)) {
      expect(doc).toContain(`schemas/${name}.schema.json`);
      for (const key of Object.keys((schema as { properties: object }).properties))
        expect(doc, `${name}.${key}`).toContain(`| \`${key}\` |`);
    }
    for (const code of Object.keys(CODES)) expect(doc).toContain(`| \`${code}\` |`);
  });
  // The examples are the files of test/config/corpus/_base, which corpus.test.ts loads and requires clean.
});
