import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/index.ts';
import {
  canonicalize,
  compileBundle,
  parseTrustedKeys,
  signingMessage,
  verifyManifest,
  verifyPayload,
} from '../../../src/bundle/index.ts';
import { VECTORS } from './vectors.ts';

const here = import.meta.dirname;

describe('bundle conformance vectors', () => {
  for (const env of ['staging', 'production']) {
    it(`${env}: the compiler reproduces the committed payload byte for byte, and it verifies`, async () => {
      const dir = join(here, 'published', env);
      const [payloadFile] = readdirSync(join(dir, 'payload'));
      const expected = readFileSync(join(dir, 'payload', payloadFile!));

      const loaded = await loadProject(join(here, 'config'));
      expect(loaded.errors).toEqual([]);
      const compiled = compileBundle(loaded.value!, { env, commit: VECTORS.commit });
      expect(compiled.errors).toEqual([]);
      expect(Buffer.from(compiled.value!.bytes).equals(expected)).toBe(true);
      expect(payloadFile).toBe(`${compiled.value!.sha256}.json`);

      const trusted = parseTrustedKeys(readFileSync(join(here, 'trusted-keys.json'), 'utf8'));
      expect(trusted.ok).toBe(true);
      if (!trusted.ok) return;
      const manifestBytes = readFileSync(join(dir, 'manifest.json'));
      const manifest = verifyManifest(manifestBytes, {
        trustedKeys: trusted.value,
        env,
        minSerial: VECTORS.serial,
        now: Date.parse(VECTORS.now),
      });
      expect(manifest.ok ? 'ok' : manifest.code).toBe('ok');
      if (!manifest.ok) return;
      // The manifest file itself is canonical JSON, and the signing message is the domain + JCS(signed).
      expect(canonicalize(JSON.parse(manifestBytes.toString('utf8')))).toBe(manifestBytes.toString('utf8'));
      expect(
        Buffer.from(signingMessage(manifest.value.signed)).equals(readFileSync(join(dir, 'signing-message.txt'))),
      ).toBe(true);
      const payload = verifyPayload(expected, { ...manifest.value.signed.payload, env, commit: VECTORS.commit });
      expect(payload.ok ? 'ok' : payload.code).toBe('ok');
    });
  }
});
