import { open, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import {
  generateSigningKey,
  privateKeyToPem,
  trustedKeyEntry,
  writeFileAtomic,
  SIGNING_KEY_ENV,
} from '../../bundle/index.ts';
import { parseStrictJson, publicKeyToBase64 } from '../../bundle/runtime-format.ts';
import { UsageError, type Command } from '../command.ts';

const usage = `Usage: switchyard keygen --out <private-key-file> [--trusted-keys <file>] [--label <name>] [--root]

Generates an Ed25519 signing key. The private key (PKCS#8 PEM) is written to --out with mode 0600
and is never printed; store it as the CI secret ${SIGNING_KEY_ENV} (file content as-is). The public
key and its keyid are printed, and with --trusted-keys added to that trusted-keys file (created when
missing; see docs/bundles.md for the format).

  --out <file>            where to write the private key (refuses to overwrite)
  --trusted-keys <file>   add the public key to this trusted-keys file
  --label <name>          label for the trusted-keys entry (e.g. ci-2026)
  --root                  a root key: kept offline (never a CI secret), its public half pinned by
                          applications (trustRoot); it signs only keys.json (\`switchyard trust\`)

Exit status: 0 ok, 1 failure, 2 usage error.`;

export const command: Command = {
  name: 'keygen',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        'trusted-keys': { type: 'string' },
        label: { type: 'string' },
        root: { type: 'boolean', default: false },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!values.out) throw new UsageError('--out is required (the private key is never printed)');
    const key = generateSigningKey();
    const out = resolve(io.cwd, values.out);
    try {
      // 'wx': never overwrite an existing key by accident.
      const handle = await open(out, 'wx', 0o600);
      await handle.writeFile(privateKeyToPem(key));
      await handle.sync();
      await handle.close();
    } catch (error) {
      io.stderr(
        `✖ cannot write ${values.out}: ${(error as NodeJS.ErrnoException).code === 'EEXIST' ? 'file exists (refusing to overwrite a key)' : (error as Error).message}`,
      );
      return 1;
    }
    io.stdout(
      values.root
        ? `✔ root private key written to ${values.out} (mode 0600) — keep it OFFLINE (never a CI secret); it signs only keys.json`
        : `✔ private key written to ${values.out} (mode 0600) — keep it secret; CI reads it from ${SIGNING_KEY_ENV}`,
    );
    io.stdout(`  keyid      ${key.keyid}`);
    io.stdout(`  public key ${publicKeyToBase64(key.publicKey)}`);
    if (values['trusted-keys']) {
      const file = resolve(io.cwd, values['trusted-keys']);
      let doc: { threshold?: number; keys: unknown[] } = { threshold: 1, keys: [] };
      try {
        const parsed = parseStrictJson(await readFile(file, 'utf8'));
        if (
          !parsed.ok ||
          typeof parsed.value !== 'object' ||
          parsed.value === null ||
          !Array.isArray((parsed.value as { keys?: unknown }).keys)
        ) {
          io.stderr(`✖ ${values['trusted-keys']} is not a trusted-keys file; left unchanged`);
          return 1;
        }
        doc = parsed.value as typeof doc;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      doc.keys.push(trustedKeyEntry(key.publicKey, values.label));
      await writeFileAtomic(file, new TextEncoder().encode(`${JSON.stringify(doc, null, 2)}\n`));
      io.stdout(`✔ added to ${values['trusted-keys']} (${doc.keys.length} key(s))`);
    } else {
      io.stdout(`  trusted-keys entry: ${JSON.stringify(trustedKeyEntry(key.publicKey, values.label))}`);
    }
    return 0;
  },
};
