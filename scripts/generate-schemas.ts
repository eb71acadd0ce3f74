// Writes schemas/*.schema.json and docs/resources.md from src/config (the source of truth).
// Run: npm run schemas
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DOC_SECTIONS, resourcesDoc } from '../src/config/docs/resources-doc.ts';
import { schemaFiles } from '../src/config/schema/schema-files.ts';

const root = join(import.meta.dirname, '..');
await mkdir(join(root, 'schemas'), { recursive: true });
for (const [name, text] of schemaFiles()) {
  await writeFile(join(root, 'schemas', name), text);
  process.stdout.write(`wrote schemas/${name}\n`);
}
const examples = join(root, 'test/config/corpus/_base');
const sections = await Promise.all(
  DOC_SECTIONS.map(async (s) => {
    const text = await readFile(join(examples, s.path), 'utf8');
    return { ...s, example: s.path.endsWith('.jsonl') ? (text.split('\n')[0] ?? '') : text };
  }),
);
await writeFile(join(root, 'docs/resources.md'), resourcesDoc(sections));
process.stdout.write('wrote docs/resources.md\n');
