import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSigningKeys, parseDuration, writeFileAtomic } from '../../bundle/index.ts';
import { nextKeysDocument, type TrustOperation } from '../../bundle/trust.ts';
import {
  MAX_SERIAL,
  parseStrictJson,
  parseTrustedKeys,
  verifyKeysDocument,
  type KeysSigned,
  type TrustedKeys,
} from '../../bundle/runtime-format.ts';
import { UsageError, type Command, type CommandIo } from '../command.ts';

const usage = `Usage: switchyard trust <init|rotate|revoke|reset-floor|show> <keys.json> --root-keys <root-keys.json> [options]

Issues the root-signed keys document runtimes configured with trustRoot fetch from <source>/keys.json
(docs/bundles.md, "Trust model"). Every change writes version + 1, signed by the offline root key(s).

  init <keys.json>         --signing-keys <trusted-keys.json>   first document: these keys sign bundles
  rotate <keys.json>       --signing-keys <trusted-keys.json>   replace the signing key set (add the
                                                                new key next to the old one first)
  revoke <keys.json>       --keyid <hex>                        remove one signing key: its bundles stop
                                                                verifying at the next check
  reset-floor <keys.json>  --env <env> --floor <n> [--ceiling <n>]
                           recovery from a fast-forward serial: clients above <n> lower their floor to
                           <n> once; serials above --ceiling are refused while the reset is listed
  show <keys.json>         verify against --root-keys and print the document

  --root-keys <file>   the root public keys applications pin (trusted-keys format); every document
                       written is verified against them before it is saved
  --root-key <pem>     a root private key (repeat for a root threshold); files only, never the environment
  --expires-in <dur>   validity of the new document (default 365d)

Exit status: 0 ok, 1 refused or failed, 2 usage error.`;

const OPS = new Set(['init', 'rotate', 'revoke', 'reset-floor', 'show']);

function serialArg(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > MAX_SERIAL)
    throw new UsageError(`--${flag} must be an integer from ${min} to ${MAX_SERIAL}`);
  return n;
}

function parseTrustArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'root-keys': { type: 'string' },
      'root-key': { type: 'string', multiple: true },
      'signing-keys': { type: 'string' },
      keyid: { type: 'string' },
      env: { type: 'string' },
      floor: { type: 'string' },
      ceiling: { type: 'string' },
      'expires-in': { type: 'string', default: '365d' },
    },
  });
}

type TrustValues = ReturnType<typeof parseTrustArgs>['values'];

/**
 * The document already at `path`, verified against the root, or null when there is none; an exit
 * status when it does not verify. Expired is fine here: the root is renewing it. Anything else
 * wrong is not built upon.
 */
async function readPrevious(
  path: string,
  root: TrustedKeys,
  io: CommandIo,
): Promise<{ previous: KeysSigned | null } | number> {
  const existing = await readFile(path).catch((e: NodeJS.ErrnoException) =>
    e.code === 'ENOENT' ? null : Promise.reject(e),
  );
  if (existing === null) return { previous: null };
  const v = verifyKeysDocument(existing, { root, allowExpired: true });
  if (!v.ok) {
    io.stderr(`✖ ${v.code}: ${v.message}`);
    return 1;
  }
  return { previous: v.value.signed };
}

/** `trust show`: the verified document, its signing keys and floor resets. */
function show(file: string, rootKeys: string, previous: KeysSigned | null, io: CommandIo): number {
  if (previous === null) {
    io.stderr(`✖ ${file} does not exist`);
    return 1;
  }
  io.stdout(`✔ ${file} verifies against ${rootKeys}: version ${previous.version}, expires ${previous.expires}`);
  io.stdout(
    `  signing keys (threshold ${previous.threshold}): ${previous.keys.map((k) => `${k.keyid}${k.label ? ` (${k.label})` : ''}`).join(', ')}`,
  );
  for (const r of previous.floorResets)
    io.stdout(
      `  floor reset ${r.env}: floor ${r.floor}, ceiling ${r.ceiling ?? 'none'} (issued in version ${r.version})`,
    );
  return 0;
}

/** The change `op` asks for, from its options; an exit status when the signing keys are invalid. */
async function trustOperation(op: string, values: TrustValues, io: CommandIo): Promise<TrustOperation | number> {
  if (op === 'init' || op === 'rotate') {
    if (!values['signing-keys']) throw new UsageError(`${op} needs --signing-keys <trusted-keys.json>`);
    const text = await readFile(resolve(io.cwd, values['signing-keys']), 'utf8').catch(() => '');
    const signing = parseTrustedKeys(text);
    if (!signing.ok) {
      io.stderr(`✖ ${signing.code}: ${values['signing-keys']}: ${signing.message}`);
      return 1;
    }
    const labels = new Map<string, string>();
    const doc = parseStrictJson(text);
    if (doc.ok)
      for (const k of (doc.value as { keys: Array<{ keyid?: string; label?: string }> }).keys)
        if (k.keyid && k.label) labels.set(k.keyid, k.label);
    return { kind: op, signingKeys: signing.value, labels };
  }
  if (op === 'revoke') {
    if (!values.keyid || !/^[0-9a-f]{64}$/.test(values.keyid)) throw new UsageError('revoke needs --keyid <64 hex>');
    return { kind: 'revoke', keyid: values.keyid };
  }
  if (!values.env || !/^[a-z0-9][a-z0-9_-]*$/.test(values.env)) throw new UsageError('reset-floor needs --env <env>');
  const floor = serialArg(values.floor, 'floor', 0);
  if (floor === undefined)
    throw new UsageError('reset-floor needs --floor <n> (the highest serial legitimately published)');
  return {
    kind: 'reset-floor',
    env: values.env,
    floor,
    ceiling: serialArg(values.ceiling, 'ceiling', 1) ?? null,
  };
}

/**
 * Sign the next document with the root key(s), verify it as runtimes will, and only then write it.
 */
async function signAndWrite(
  op: string,
  file: string,
  path: string,
  root: TrustedKeys,
  previous: KeysSigned | null,
  operation: TrustOperation,
  values: TrustValues,
  io: CommandIo,
): Promise<number> {
  const validity = parseDuration(values['expires-in']);
  if (validity === undefined) throw new UsageError('--expires-in must be a duration like 365d');
  if (!values['root-key'] || values['root-key'].length === 0)
    throw new UsageError('--root-key <pem> is required to sign (the root key stays offline: pass the file)');
  // Files only: a root key in the environment would be one CI step away from every job.
  const loaded = await loadSigningKeys(
    values['root-key'].map((f) => resolve(io.cwd, f)),
    {},
  );
  if (!loaded.ok) {
    io.stderr(`✖ E_SIGNING_KEY_INVALID: ${loaded.message}`);
    return 1;
  }
  const next = nextKeysDocument(previous, operation, new Date(Date.now() + validity), loaded.keys);
  if (!next.ok) {
    io.stderr(`✖ ${next.code}: ${next.message}`);
    return 1;
  }
  // What runtimes will check, checked before anything is written.
  const check = verifyKeysDocument(next.bytes, { root, minVersion: next.signed.version });
  if (!check.ok) {
    io.stderr(
      `✖ not written: ${check.code}: ${check.message} (is --root-key one of --root-keys, enough of them for its threshold?)`,
    );
    return 1;
  }
  await writeFileAtomic(path, next.bytes);
  io.stdout(
    `✔ ${file}: version ${next.signed.version} (${op}), ${next.signed.keys.length} signing key(s), threshold ${next.signed.threshold}, expires ${next.signed.expires}`,
  );
  if (op === 'reset-floor')
    io.stdout(`  publish it next to the environments, then publish the next bundle with --allow-lower-serial`);
  return 0;
}

export const command: Command = {
  name: 'trust',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseTrustArgs(argv);
    const [op, file] = positionals;
    if (!op || !OPS.has(op) || !file || positionals.length !== 2)
      throw new UsageError('expected <init|rotate|revoke|reset-floor|show> <keys.json>');
    if (!values['root-keys'])
      throw new UsageError('--root-keys is required (every document is checked against the keys applications pin)');
    const rootText = await readFile(resolve(io.cwd, values['root-keys']), 'utf8').catch(() => null);
    const root = rootText === null ? null : parseTrustedKeys(rootText);
    if (root === null || !root.ok) {
      io.stderr(`✖ E_TRUSTED_KEYS_INVALID: ${values['root-keys']}: ${root === null ? 'cannot read' : root.message}`);
      return 1;
    }
    const path = resolve(io.cwd, file);
    const read = await readPrevious(path, root.value, io);
    if (typeof read === 'number') return read;
    if (op === 'show') return show(file, values['root-keys'], read.previous, io);
    const operation = await trustOperation(op, values, io);
    if (typeof operation === 'number') return operation;
    return signAndWrite(op, file, path, root.value, read.previous, operation, values, io);
  },
};
