// Writes schemas/*.schema.json from src/config/schema (the source of truth). Run: npm run schemas
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { schemaFiles } from '../src/config/schema/schema-files.ts';

const dir = join(import.meta.dirname, '..', 'schemas');
await mkdir(dir, { recursive: true });
for (const [name, text] of schemaFiles()) {
  await writeFile(join(dir, name), text);
  process.stdout.write(`wrote schemas/${name}\n`);
}
