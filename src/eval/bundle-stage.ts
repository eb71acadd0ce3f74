/**
 * The pipeline's compile → sign → verify stage: compiles each environment, signs the manifests
 * with an ephemeral Ed25519 key that exists only in memory and a temporary directory (never in the
 * repository), and verifies them with the runtime's own verifier, as a runtime would.
 */
import { mkdtemp, mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileBundle, payloadPath } from '../bundle/compile.ts';
import { generateSigningKey, privateKeyToPem } from '../bundle/keys.ts';
import { buildSigned, signManifest } from '../bundle/sign.ts';
import { manifestBytes, trustedKeysFrom, verifyManifest, verifyPayload } from '../bundle/runtime-format.ts';
import type { Project } from '../config/types.ts';
import type { ReportBundle } from './report/model.ts';

/** Compiles every environment (pure; for the report's digests). */
export function compileAll(project: Project, commit: string | null): ReportBundle[] {
  return project.settings.environments.map(({ name }) => {
    const compiled = compileBundle(project, { env: name, commit: commit ?? '0'.repeat(40) });
    if (!compiled.value || compiled.errors.length > 0) {
      return { env: name, sha256: null, length: null, errors: compiled.errors.map((e) => `${e.code}: ${e.message}`) };
    }
    return { env: name, sha256: compiled.value.sha256, length: compiled.value.bytes.byteLength, errors: [] };
  });
}

export interface SignedBundle {
  env: string;
  dir: string;
  sha256: string;
  verified: boolean;
  message: string;
}

/**
 * Writes `<out>/<env>/manifest.json` + payload for every environment, signed with a fresh key whose
 * private half is written only to a temporary directory that is removed afterwards.
 */
export async function compileSignVerify(project: Project, commit: string | null, out: string): Promise<{ keyid: string; bundles: SignedBundle[] }> {
  const keyDir = await mkdtemp(join(tmpdir(), 'switchyard-devkey-'));
  try {
    const key = generateSigningKey();
    await writeFile(join(keyDir, 'dev-signing-key.pem'), privateKeyToPem(key), { mode: 0o600 });
    const trusted = trustedKeysFrom([key.publicKey]);
    const bundles: SignedBundle[] = [];
    const now = new Date();
    for (const { name } of project.settings.environments) {
      const full = commit ?? '0'.repeat(40);
      const compiled = compileBundle(project, { env: name, commit: full });
      const dir = join(out, name);
      if (!compiled.value) {
        bundles.push({ env: name, dir, sha256: '', verified: false, message: compiled.errors.map((e) => e.message).join('; ') });
        continue;
      }
      const signed = buildSigned({
        env: name,
        serial: 1,
        commit: full,
        createdAt: now,
        expires: new Date(now.getTime() + 30 * 24 * 3600 * 1000),
        payload: { sha256: compiled.value.sha256, length: compiled.value.bytes.byteLength },
      });
      const manifest = signManifest(signed, [key]);
      await mkdir(join(dir, 'payload'), { recursive: true });
      await writeFile(join(dir, payloadPath(compiled.value.sha256)), compiled.value.bytes);
      await writeFile(join(dir, 'manifest.json'), manifestBytes(manifest));
      // Verify from disk, exactly as a runtime would receive the files.
      const m = verifyManifest(new Uint8Array(await readFile(join(dir, 'manifest.json'))), { trustedKeys: trusted, env: name, now });
      if (!m.ok) {
        bundles.push({ env: name, dir, sha256: compiled.value.sha256, verified: false, message: `${m.code}: ${m.message}` });
        continue;
      }
      const p = verifyPayload(new Uint8Array(await readFile(join(dir, payloadPath(compiled.value.sha256)))), { ...signed.payload, env: name, commit: full });
      bundles.push({ env: name, dir, sha256: compiled.value.sha256, verified: p.ok, message: p.ok ? 'signature, serial, expiry, length and sha256 verified' : `${p.code}: ${p.message}` });
    }
    return { keyid: key.keyid, bundles };
  } finally {
    await rm(keyDir, { recursive: true, force: true });
  }
}
