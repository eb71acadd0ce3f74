import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import {
  bundleSource,
  parseStrictJsonBytes,
  parseTrustedKeys,
  verifyBundle,
  type BundlePayload,
} from '../../bundle/index.ts';
import { readCompiled } from '../../bundle/dist-layout.ts';
import { explainUnit, renderExplanation } from '../../explain/explain.ts';
import { UsageError, type Command } from '../command.ts';

const usage = `Usage: switchyard explain <unitKey> --env <env> --from <url|dir> [options]

Prints what one unit gets from an environment's bundle — the model snapshot per alias, the prompt
version, every flag, the experiment variant, the canary pipeline and the embedding route — and why:
the engine's rule, the unit's bucket under each seed against the threshold, the experiment slots.
The runtime's own engine decides, so the answer is what production computes.

  --from <url|dir>           a published bundle (URL or directory: <from>/<env>/manifest.json), verified
                             with --trusted-keys; or a local build directory from \`switchyard compile\`
                             (<dir>/<env>/compiled.json; unsigned, said so)
  --env <name>               environment (required)
  --trusted-keys <file>      keys to verify a published bundle with (required for one)
  --conversation-pin <snap>  the snapshot a conversation is pinned to
  --format text|json         output (default text)

Exit codes: 0 explained, 1 bundle missing or refused, 2 usage error.`;

export const command: Command = {
  name: 'explain',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        env: { type: 'string' },
        from: { type: 'string' },
        'trusted-keys': { type: 'string' },
        'conversation-pin': { type: 'string' },
        format: { type: 'string', default: 'text' },
      },
    });
    if (positionals.length !== 1 || positionals[0] === '') throw new UsageError('expected one <unitKey>');
    if (!values.env) throw new UsageError('--env is required');
    if (!values.from) throw new UsageError('--from <url|dir> is required');
    if (values.format !== 'text' && values.format !== 'json') throw new UsageError('--format must be text or json');
    const env = values.env;
    const from = /^https?:\/\//.test(values.from) ? values.from : resolve(io.cwd, values.from);

    let payload: BundlePayload;
    let meta;
    let origin: string;
    const isLocalBuild =
      !from.startsWith('http') && (await stat(join(from, env, 'compiled.json')).catch(() => null)) !== null;
    if (isLocalBuild) {
      const compiled = await readCompiled(from, env);
      if (!compiled.ok) {
        io.stderr(`switchyard explain: E_EXPLAIN_BUNDLE ${compiled.message}`);
        return 1;
      }
      const parsed = parseStrictJsonBytes(compiled.payload);
      if (!parsed.ok) {
        io.stderr(`switchyard explain: E_EXPLAIN_BUNDLE ${compiled.payloadFile}: ${parsed.message}`);
        return 1;
      }
      payload = parsed.value as unknown as BundlePayload;
      meta = {
        serial: 0,
        env,
        commit: compiled.pointer.commit,
        createdAt: Number.NaN,
        expiresAt: Number.NaN,
        payloadSha256: compiled.pointer.sha256,
      };
      origin = `local build ${compiled.payloadFile} (unsigned)`;
    } else {
      if (!values['trusted-keys'])
        throw new UsageError(
          '--trusted-keys is required for a published bundle (signatures are checked against your own keys)',
        );
      let keysText: string;
      try {
        keysText = await readFile(resolve(io.cwd, values['trusted-keys']), 'utf8');
      } catch (error) {
        io.stderr(
          `switchyard explain: E_EXPLAIN_KEYS cannot read ${values['trusted-keys']}: ${(error as Error).message}`,
        );
        return 1;
      }
      const trusted = parseTrustedKeys(keysText);
      if (!trusted.ok) {
        io.stderr(`switchyard explain: ${trusted.code} ${values['trusted-keys']}: ${trusted.message}`);
        return 1;
      }
      const verified = await verifyBundle(await bundleSource(from, env), { trustedKeys: trusted.value, env });
      if (!verified.ok) {
        io.stderr(`switchyard explain: ${verified.code} ${verified.message}`);
        return 1;
      }
      payload = verified.payload;
      const s = verified.signed;
      meta = {
        serial: s.serial,
        env,
        commit: s.commit,
        createdAt: Date.parse(s.createdAt),
        expiresAt: Date.parse(s.expires),
        payloadSha256: s.payload.sha256,
      };
      origin = `published bundle ${from} (serial ${s.serial}, verified)`;
    }
    const explained = explainUnit(payload, meta, {
      unitKey: positionals[0]!,
      ...(values['conversation-pin'] ? { conversationPin: values['conversation-pin'] } : {}),
    });
    if (!explained.ok) {
      io.stderr(`switchyard explain: E_EXPLAIN_BUNDLE ${explained.message}`);
      return 1;
    }
    io.stdout(
      values.format === 'json'
        ? JSON.stringify({ from: origin, ...explained.value }, null, 2)
        : `${origin}\n${renderExplanation(explained.value)}`,
    );
    return 0;
  },
};
