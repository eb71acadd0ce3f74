// Prints the longest functions of src/ and of every package's and example's src/ as a Markdown table
// (issue 17: a function a newcomer cannot read as a table of contents is split into named steps).
// Run: npx tsx scripts/function-lengths.ts [count]   (default 15)
import { join } from 'node:path';
import { readSources } from './codes/read-sources.ts';
import { measureFunctions, renderLengths } from './lengths/measure-functions.ts';

const count = Number(process.argv[2] ?? 15);
const rows = measureFunctions(await readSources(join(import.meta.dirname, '..')));
process.stdout.write(`${renderLengths(rows.slice(0, Number.isInteger(count) && count > 0 ? count : 15))}\n`);
