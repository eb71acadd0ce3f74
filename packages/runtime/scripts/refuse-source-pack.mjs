#!/usr/bin/env node
// `prepack` of the in-repository packages: their package.json exports TypeScript sources (so tsx
// and vitest need no build), which no application can import. Packing or publishing that form is
// always a mistake, so it fails here with what to run instead; the staged form (dist/*.js, made
// by scripts/dist.ts) has no scripts and packs normally.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8'));
const targets = JSON.stringify(pkg.exports ?? pkg.main ?? '');
if (/\.ts"/.test(targets.replace(/\.d\.ts"/g, '"'))) {
  process.stderr.write(
    `E_PACK_SOURCE ${pkg.name}: this is the source form (exports point at TypeScript) and cannot be packed or published.\n` +
      `  Pack the staged build instead: npm run pack:dist -w @switchyard/runtime (tarballs in dist/packages/)\n`,
  );
  process.exit(1);
}
