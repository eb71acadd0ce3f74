import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import {
  buildSigned,
  gitBundleMeta,
  loadSigningKeys,
  parseDuration,
  signManifest,
  trustedKeysDocument,
  writeFileAtomic,
  SIGNING_KEY_ENV,
} from '../../bundle/index.ts';
import { envDir, readCompiled } from '../../bundle/dist-layout.ts';
import {
  canonicalize,
  manifestBytes,
  parseStrictJsonBytes,
  MAX_SERIAL,
  type Manifest,
} from '../../bundle/runtime-format.ts';
import { loadProjectAtRef } from '../../config/index.ts';
import { UsageError, type Command } from '../command.ts';

const usage = `Usage: switchyard sign [dist/] --env <env> [--key <file>]... [--expires-in <30d> | --expires <iso>] [--serial <n>] [--root .]
                      [--public-keys-out <file>]

Signs the payload \`switchyard compile\` left in <dist>/<env>/ and writes <dist>/<env>/manifest.json.
Keys come from --key files (repeat for key rotation: old and new sign together) and/or the
${SIGNING_KEY_ENV} environment variable; they are never printed.

serial   = first-parent commit count of the compiled commit (a revert or kill switch on main is a
           new commit, so it always gets a higher serial); --serial overrides.
createdAt = the commit's committer time (reproducible manifests).
expires  = createdAt + signing.expiresAfter from switchyard.yaml (--expires-in / --expires override).

Signing again with another key adds its signature when the signed content is unchanged.

When switchyard.yaml (at the compiled commit) lists signing.trustedKeys, at least one signing key must
be among them (E_SIGN_KEY_NOT_TRUSTED): a bundle no runtime of the project would accept is refused here,
not in production. --public-keys-out writes a trusted-keys file with the public halves of the signing
keys (for a self-check when no trusted-keys file is committed).

Exit status: 0 signed, 1 failure, 2 usage error.`;

export const command: Command = {
  name: 'sign',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        env: { type: 'string' },
        key: { type: 'string', multiple: true, default: [] },
        'expires-in': { type: 'string' },
        expires: { type: 'string' },
        serial: { type: 'string' },
        root: { type: 'string', default: '.' },
        'public-keys-out': { type: 'string' },
      },
    });
    if (positionals.length > 1) throw new UsageError('expected at most one directory');
    if (!values.env) throw new UsageError('--env is required');
    if (values['expires-in'] && values.expires) throw new UsageError('use --expires-in or --expires, not both');
    const dist = resolve(io.cwd, positionals[0] ?? 'dist');
    const root = resolve(io.cwd, values.root);
    const serialOverride = values.serial === undefined ? undefined : Number(values.serial);
    if (
      serialOverride !== undefined &&
      (!Number.isSafeInteger(serialOverride) || serialOverride < 1 || serialOverride > MAX_SERIAL)
    ) {
      throw new UsageError(`--serial must be an integer from 1 to ${MAX_SERIAL}`);
    }

    const keys = await loadSigningKeys(
      values.key.map((k) => resolve(io.cwd, k)),
      io.env,
    );
    if (!keys.ok) {
      io.stderr(`✖ ${keys.message}`);
      return 1;
    }
    if (keys.keys.length === 0) throw new UsageError(`no signing key: pass --key <file> or set ${SIGNING_KEY_ENV}`);

    const compiled = await readCompiled(dist, values.env);
    if (!compiled.ok) {
      io.stderr(`✖ ${compiled.message}`);
      return 1;
    }
    const { pointer } = compiled;
    let meta;
    try {
      meta = await gitBundleMeta(root, pointer.commit);
    } catch (error) {
      io.stderr(`✖ cannot read commit ${pointer.commit} in ${values.root}: ${(error as Error).message}`);
      return 1;
    }
    const serial = serialOverride ?? meta.serial;
    const project = await loadProjectAtRef(root, pointer.commit);
    const trustedKeyIds = project.value?.settings.signing.trustedKeys ?? [];
    if (!project.value) {
      io.stderr(`⚠ switchyard.yaml at ${pointer.commit.slice(0, 12)} does not load; signing.trustedKeys not checked`);
    } else if (trustedKeyIds.length > 0 && !keys.keys.some((k) => trustedKeyIds.includes(k.keyid))) {
      io.stderr(
        `switchyard.yaml:1:1 error E_SIGN_KEY_NOT_TRUSTED none of the signing keys (${keys.keys.map((k) => k.keyid).join(', ')}) is in signing.trustedKeys\n` +
          "  fix: sign with a key listed in signing.trustedKeys, or add its keyid there (and to the runtimes' trusted-keys file) first",
      );
      return 1;
    }
    let expires: Date;
    if (values.expires) {
      expires = new Date(values.expires);
      if (Number.isNaN(expires.getTime())) throw new UsageError('--expires must be an ISO 8601 time');
    } else {
      let after = values['expires-in'];
      if (!after) after = project.value?.settings.signing.expiresAfter ?? '30d';
      const ms = parseDuration(after);
      if (ms === undefined) throw new UsageError(`expiry '${after}' is not a duration like 30d, 12h, 90m`);
      expires = new Date(meta.createdAt.getTime() + ms);
    }
    if (expires.getTime() <= meta.createdAt.getTime()) throw new UsageError('expiry must be after the commit time');

    const signed = buildSigned({
      env: values.env,
      serial,
      commit: pointer.commit,
      createdAt: meta.createdAt,
      expires,
      payload: { sha256: pointer.sha256, length: pointer.length },
    });
    const manifestFile = join(envDir(dist, values.env), 'manifest.json');
    let existing: Manifest['signatures'] = [];
    try {
      const previous = parseStrictJsonBytes(await readFile(manifestFile));
      const doc = previous.ok ? (previous.value as unknown as Manifest) : undefined;
      // Keep other parties' signatures only over exactly the same signed content.
      if (doc?.signed && Array.isArray(doc.signatures) && canonicalize(doc.signed) === canonicalize(signed))
        existing = doc.signatures;
    } catch {
      // No previous manifest.
    }
    const manifest = signManifest(signed, keys.keys, existing);
    await writeFileAtomic(manifestFile, manifestBytes(manifest));
    io.stdout(
      `✔ signed ${values.env} serial ${serial} (commit ${pointer.commit.slice(0, 12)}, expires ${signed.expires})`,
    );
    for (const s of manifest.signatures) io.stdout(`  signature by ${s.keyid}`);
    io.stdout(`  ${manifestFile}`);
    if (values['public-keys-out']) {
      const out = resolve(io.cwd, values['public-keys-out']);
      await writeFileAtomic(
        out,
        new TextEncoder().encode(trustedKeysDocument(keys.keys.map((k) => ({ key: k.publicKey })))),
      );
      io.stdout(`  public keys: ${out}`);
    }
    return 0;
  },
};
