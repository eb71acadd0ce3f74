import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { bundleSource, verifyBundle } from '../../bundle/index.ts';
import { parseTrustedKeys } from '../../bundle/runtime-format.ts';
import { UsageError, type Command } from '../command.ts';

const usage = `Usage: switchyard verify <dir|url> --trusted-keys <file> --env <env> [--last-serial <n> | --min-serial <n>] [--now <iso>]
                         [--max-manifest-bytes <n>] [--max-payload-bytes <n>] [--timeout-ms <n>]

Verifies a bundle exactly as a runtime does: manifest size, strict JSON, trusted signatures (keys and
threshold from --trusted-keys, never from the bundle), type, environment, serial, expiry, then the
payload's length, sha256 and shape. Prints every check it made and, on rejection, the stable code.

<dir|url>  a publish target or dist/ directory (reads <dir>/<env>/manifest.json, or <dir>/manifest.json),
           or an http(s) base URL (<url>/<env>/manifest.json)
--timeout-ms <n>   deadline for each read, body included (default 10000, the runtime's requestTimeoutMs)
--last-serial <n>  the serial last accepted: require a higher one (a replay of n is refused)
--min-serial <n>   the lowest acceptable serial, inclusive (what a runtime at n passes: an equal serial
                   is its own bundle, possibly re-signed)

Exit status: 0 verified, 1 rejected, 2 usage error.`;

export const command: Command = {
  name: 'verify',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'trusted-keys': { type: 'string' },
        env: { type: 'string' },
        'min-serial': { type: 'string' },
        'last-serial': { type: 'string' },
        now: { type: 'string' },
        'max-manifest-bytes': { type: 'string' },
        'max-payload-bytes': { type: 'string' },
        'timeout-ms': { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('expected one <dir|url>');
    if (!values.env) throw new UsageError('--env is required');
    if (!values['trusted-keys'])
      throw new UsageError('--trusted-keys is required (signatures are only ever checked against your own keys)');
    if (values['min-serial'] !== undefined && values['last-serial'] !== undefined)
      throw new UsageError('--min-serial and --last-serial exclude each other');
    const serialFlag = values['last-serial'] !== undefined ? 'last-serial' : 'min-serial';
    const serialArg = values[serialFlag] === undefined ? 0 : Number(values[serialFlag]);
    if (!Number.isSafeInteger(serialArg) || serialArg < 0)
      throw new UsageError(`--${serialFlag} must be a non-negative integer`);
    // verifyManifest's minSerial is inclusive; "last accepted N" means "N + 1 or later".
    const minSerial = serialFlag === 'last-serial' ? serialArg + 1 : serialArg;
    const now = values.now === undefined ? Date.now() : Date.parse(values.now);
    if (!Number.isFinite(now)) throw new UsageError('--now must be an ISO 8601 time');
    const limits: { maxManifestBytes?: number; maxPayloadBytes?: number } = {};
    for (const [flag, field] of [
      ['max-manifest-bytes', 'maxManifestBytes'],
      ['max-payload-bytes', 'maxPayloadBytes'],
    ] as const) {
      const raw = values[flag];
      if (raw === undefined) continue;
      const n = Number(raw);
      if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${flag} must be a positive integer`);
      limits[field] = n;
    }

    const timeoutMs = values['timeout-ms'] === undefined ? undefined : Number(values['timeout-ms']);
    if (timeoutMs !== undefined && (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1))
      throw new UsageError('--timeout-ms must be a positive integer');

    let keysText: string;
    try {
      keysText = await readFile(resolve(io.cwd, values['trusted-keys']), 'utf8');
    } catch (error) {
      io.stderr(
        `✖ cannot read ${values['trusted-keys']}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
      return 1;
    }
    const trusted = parseTrustedKeys(keysText);
    if (!trusted.ok) {
      io.stderr(`✖ ${trusted.code}: ${values['trusted-keys']}: ${trusted.message}`);
      return 1;
    }
    const location = /^https?:\/\//i.test(positionals[0]!) ? positionals[0]! : resolve(io.cwd, positionals[0]!);
    const source = await bundleSource(location, values.env, timeoutMs);
    const result = await verifyBundle(source, {
      trustedKeys: trusted.value,
      env: values.env,
      minSerial,
      now,
      ...limits,
    });
    io.stdout(
      `verifying ${source.describe()} (env ${values.env}, ${trusted.value.keys.size} trusted key(s), threshold ${trusted.value.threshold})`,
    );
    for (const check of result.checks) io.stdout(`  ✔ ${check}`);
    if (!result.ok) {
      io.stdout(`  ✖ ${result.code}: ${result.message}`);
      io.stderr(`✖ rejected: ${result.code}`);
      return 1;
    }
    io.stdout(
      `✔ verified ${result.signed.env} serial ${result.signed.serial} (commit ${result.signed.commit.slice(0, 12)}, payload ${result.signed.payload.sha256})`,
    );
    return 0;
  },
};
