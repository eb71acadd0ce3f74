// Writes docs/error-codes.md, the catalogue of every E_/W_ code in the sources (scripts/codes/).
// Run: npm run codes          (--check: exit 1 instead of writing when the file is stale)
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSources } from './codes/read-sources.ts';
import { REGENERATE, renderCatalogue } from './codes/render-codes.ts';
import { scanCodes } from './codes/scan-codes.ts';

const root = join(import.meta.dirname, '..');
const target = join(root, 'docs/error-codes.md');
const entries = scanCodes(await readSources(root));
const text = renderCatalogue(entries);
if (process.argv.includes('--check')) {
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== text) {
    process.stderr.write(`docs/error-codes.md is stale: run \`${REGENERATE}\` and commit it\n`);
    process.exitCode = 1;
  }
} else {
  await writeFile(target, text);
  process.stdout.write(`wrote docs/error-codes.md (${entries.length} codes)\n`);
}
