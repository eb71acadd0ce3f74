/**
 * The pipeline's compile → sign → verify stage, made of the same pieces as publishing: manifest
 * metadata from git (`gitBundleMeta`: serial = first-parent commit count, createdAt = commit time),
 * expiry from `signing.expiresAfter`, `buildSigned`/`signManifest`, and `verifyBundle` reading the
 * written files back — the check `switchyard verify` and CI run. Only the key differs: an ephemeral
 * Ed25519 key that exists in memory only and is discarded.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleSource } from '../bundle/bundle-source.ts';
import { compileBundle, payloadPath } from '../bundle/compile.ts';
import { parseDuration } from '../bundle/duration.ts';
import { gitBundleMeta } from '../bundle/git-meta.ts';
import { generateSigningKey } from '../bundle/keys.ts';
import { manifestBytes, trustedKeysFrom } from '../bundle/runtime-format.ts';
import { signCompiled } from '../bundle/sign.ts';
import { verifyBundle } from '../bundle/verify-bundle.ts';
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
  /** Serial and times the manifest carries (as publishing would sign them); absent when nothing was signed. */
  serial?: number;
  createdAt?: string;
  expires?: string;
  verified: boolean;
  message: string;
}

export interface CompileSignVerifyOptions {
  /**
   * The git repository `commit` belongs to: serial and createdAt come from it exactly as
   * `switchyard sign` takes them. Without one (or without a commit) the bundle gets serial 1 and
   * the current time, and says so in its message.
   */
  root?: string;
}

/**
 * Writes `<out>/<env>/manifest.json` + payload for every environment, signed with a fresh in-memory
 * key, and verifies each from disk with the publishing verifier. A bundle is checked as a runtime
 * sees it when it is published, i.e. at its createdAt (the commit time): verifying an old commit at
 * the wall clock would only restate that it is old.
 */
export async function compileSignVerify(
  project: Project,
  commit: string | null,
  out: string,
  options: CompileSignVerifyOptions = {},
): Promise<{ keyid: string; bundles: SignedBundle[] }> {
  const key = generateSigningKey();
  const trustedKeys = trustedKeysFrom([key.publicKey]);
  const full = commit ?? '0'.repeat(40);
  let meta: { serial: number; createdAt: Date; fromGit: boolean };
  try {
    if (commit === null || options.root === undefined) throw new Error('no git commit');
    meta = { ...(await gitBundleMeta(options.root, commit)), fromGit: true };
  } catch {
    meta = { serial: 1, createdAt: new Date(Math.floor(Date.now() / 1000) * 1000), fromGit: false };
  }
  const expiresAfter = project.settings.signing.expiresAfter;
  const validity = parseDuration(expiresAfter);
  const bundles: SignedBundle[] = [];
  for (const { name } of project.settings.environments) {
    const dir = join(out, name);
    if (validity === undefined) {
      bundles.push({
        env: name,
        dir,
        sha256: '',
        verified: false,
        message: `signing.expiresAfter '${expiresAfter}' is not a duration like 30d, 12h, 90m`,
      });
      continue;
    }
    const compiled = compileBundle(project, { env: name, commit: full });
    if (!compiled.value) {
      bundles.push({
        env: name,
        dir,
        sha256: '',
        verified: false,
        message: compiled.errors.map((e) => e.message).join('; '),
      });
      continue;
    }
    const manifest = signCompiled(
      compiled.value,
      { env: name, serial: meta.serial, commit: full, createdAt: meta.createdAt, validityMs: validity },
      [key],
    );
    const signed = manifest.signed;
    await mkdir(join(dir, 'payload'), { recursive: true });
    await writeFile(join(dir, payloadPath(compiled.value.sha256)), compiled.value.bytes);
    await writeFile(join(dir, 'manifest.json'), manifestBytes(manifest));
    const result = await verifyBundle(await bundleSource(dir, name), {
      trustedKeys,
      env: name,
      minSerial: meta.serial,
      now: meta.createdAt.getTime(),
    });
    const facts = { serial: signed.serial, createdAt: signed.createdAt, expires: signed.expires };
    const origin = meta.fromGit
      ? `serial ${signed.serial} from git`
      : `serial ${signed.serial}, created now (not a git commit)`;
    bundles.push(
      result.ok
        ? {
            env: name,
            dir,
            sha256: compiled.value.sha256,
            ...facts,
            verified: true,
            message: `signature, serial, expiry, length and sha256 verified (${origin}, expires ${signed.expires})`,
          }
        : {
            env: name,
            dir,
            sha256: compiled.value.sha256,
            ...facts,
            verified: false,
            message: `${result.code}: ${result.message}`,
          },
    );
  }
  return { keyid: key.keyid, bundles };
}
