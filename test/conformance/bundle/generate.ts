/**
 * Regenerates the bundle conformance vectors in this directory from `config/` (run from the repo
 * root: `npx tsx test/conformance/bundle/generate.ts`). Signs with a key generated for the run and
 * then discarded: only its public half is kept (trusted-keys.json), so the committed signatures can
 * be verified by any implementation but nobody can sign new vectors with that key.
 */

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProject } from '../../../src/config/index.ts';
import {
  buildSigned,
  compileBundle,
  generateSigningKey,
  manifestBytes,
  signManifest,
  signingMessage,
  trustedKeysDocument,
} from '../../../src/bundle/index.ts';
import { VECTORS } from './vectors.ts';

const here = import.meta.dirname;
const loaded = await loadProject(join(here, 'config'));
if (!loaded.value || loaded.errors.length > 0)
  throw new Error(`config does not load: ${JSON.stringify(loaded.errors)}`);
const key = generateSigningKey();
const out = join(here, 'published');
rmSync(out, { recursive: true, force: true });
for (const env of ['staging', 'production']) {
  const compiled = compileBundle(loaded.value, { env, commit: VECTORS.commit });
  if (!compiled.value) throw new Error(JSON.stringify(compiled.errors));
  const signed = buildSigned({
    env,
    serial: VECTORS.serial,
    commit: VECTORS.commit,
    createdAt: new Date(VECTORS.createdAt),
    expires: new Date(VECTORS.expires),
    payload: { sha256: compiled.value.sha256, length: compiled.value.bytes.byteLength },
  });
  mkdirSync(join(out, env, 'payload'), { recursive: true });
  writeFileSync(join(out, env, 'payload', `${compiled.value.sha256}.json`), compiled.value.bytes);
  writeFileSync(join(out, env, 'manifest.json'), manifestBytes(signManifest(signed, [key])));
  writeFileSync(join(out, env, 'signing-message.txt'), signingMessage(signed));
}
writeFileSync(
  join(here, 'trusted-keys.json'),
  trustedKeysDocument([{ key: key.publicKey, label: 'conformance (private half discarded)' }]),
);
