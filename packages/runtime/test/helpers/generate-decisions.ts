/** Regenerates test/conformance/runtime-decisions.json (run from the repo root with tsx). */
import { writeFileSync } from 'node:fs';
import { computeDecisions, DECISIONS_FILE } from './decisions.ts';

const doc = {
  description:
    'Expected runtime decisions for the signed conformance bundles in bundle/published (see packages/runtime/test/helpers/decisions.ts). bucket = floor(murmur3_x86_32(utf8(seed + "|" + unitKey), 0) * 1e6 / 2^32).',
  environments: ['staging', 'production'].map((env) => computeDecisions(env)),
};
writeFileSync(DECISIONS_FILE, JSON.stringify(doc, null, 1) + '\n');
console.log(`wrote ${DECISIONS_FILE}: ${doc.environments.map((e) => `${e.env} ${e.decisions.length}`).join(', ')}`);
