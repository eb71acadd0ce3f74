import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { bundleSource, publishToDirectory, verifyBundle } from '../../bundle/index.ts';
import { envDir } from '../../bundle/dist-layout.ts';
import { parseStrictJsonBytes, parseTrustedKeys } from '../../bundle/runtime-format.ts';
import { parseS3Url, publishToS3 } from '../../bundle/publish-s3.ts';
import { UsageError, type Command } from '../command.ts';

const usage = `Usage: switchyard publish [dist/] --env <env> --to <dir|s3://bucket/prefix> [--trusted-keys <file>] [--allow-lower-serial]

Publishes the signed bundle in <dist>/<env>/ to <dir>/<env>/: the payload first
(payload/<sha256>.json), the manifest last, each written to a temporary file, fsynced and renamed.
Old payloads are kept so in-flight fetches never 404. Refuses a manifest whose serial is not higher
than the one already published (re-publishing the identical manifest is a no-op).

With --to s3://bucket/prefix the objects go to an S3-compatible store through the AWS SDK (SigV4,
credentials from the SDK's environment/profile chain); the manifest write is conditional on the
ETag read, so a racing publisher gets E_PUBLISH_CONFLICT instead of overwriting a serial.

  --s3-endpoint <url>     S3-compatible endpoint (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS)
  --s3-path-style         path-style requests (<endpoint>/<bucket>/<key>), for MinIO-like servers
  --trusted-keys <file>   verify the bundle against these keys before publishing (recommended in CI)
  --allow-lower-serial    replace a higher serial at the target: only in the recovery from a
                          fast-forward serial, after \`switchyard trust reset-floor\` (docs/bundles.md)

Exit status: 0 published, 1 refused or failed, 2 usage error.`;

export const command: Command = {
  name: 'publish',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        env: { type: 'string' },
        to: { type: 'string' },
        'trusted-keys': { type: 'string' },
        'allow-lower-serial': { type: 'boolean', default: false },
        's3-endpoint': { type: 'string' },
        's3-path-style': { type: 'boolean', default: false },
      },
    });
    if (positionals.length > 1) throw new UsageError('expected at most one directory');
    if (!values.env) throw new UsageError('--env is required');
    if (!values.to) throw new UsageError('--to <dir|s3://bucket/prefix> is required');
    const s3 = parseS3Url(values.to);
    if (s3 && !s3.ok) {
      io.stderr(`✖ ${s3.code}: ${s3.message}`);
      return 1;
    }
    if (!s3 && (values['s3-endpoint'] || values['s3-path-style']))
      throw new UsageError('--s3-endpoint and --s3-path-style need --to s3://bucket/prefix');
    const dist = resolve(io.cwd, positionals[0] ?? 'dist');
    const dir = envDir(dist, values.env);

    if (values['trusted-keys']) {
      const trusted = parseTrustedKeys(await readFile(resolve(io.cwd, values['trusted-keys']), 'utf8').catch(() => ''));
      if (!trusted.ok) {
        io.stderr(`✖ ${trusted.code}: ${values['trusted-keys']}: ${trusted.message}`);
        return 1;
      }
      const verified = await verifyBundle(await bundleSource(dir, values.env), {
        trustedKeys: trusted.value,
        env: values.env,
      });
      if (!verified.ok) {
        io.stderr(`✖ not publishing: ${verified.code}: ${verified.message}`);
        return 1;
      }
      io.stdout(`✔ verified against ${values['trusted-keys']}`);
    }

    let manifest: Uint8Array;
    try {
      manifest = await readFile(join(dir, 'manifest.json'));
    } catch {
      io.stderr(`✖ ${join(dir, 'manifest.json')} not found: run \`switchyard sign\` first`);
      return 1;
    }
    const parsed = parseStrictJsonBytes(manifest);
    const sha = parsed.ok
      ? (parsed.value as { signed?: { payload?: { sha256?: unknown } } }).signed?.payload?.sha256
      : undefined;
    if (typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha)) {
      io.stderr(`✖ ${join(dir, 'manifest.json')} does not name a payload`);
      return 1;
    }
    let payload: Uint8Array;
    try {
      payload = await readFile(join(dir, 'payload', `${sha}.json`));
    } catch {
      io.stderr(`✖ payload ${sha} is missing from ${dir}`);
      return 1;
    }
    const allowLowerSerial = values['allow-lower-serial'];
    const result = s3
      ? await publishToS3(s3.location, manifest, payload, {
          allowLowerSerial,
          endpoint: values['s3-endpoint'],
          forcePathStyle: values['s3-path-style'],
          env: io.env,
        })
      : await publishToDirectory(resolve(io.cwd, values.to), manifest, payload, { allowLowerSerial });
    if (!result.ok) {
      io.stderr(`✖ ${result.code}: ${result.message}`);
      return 1;
    }
    io.stdout(
      result.unchanged
        ? `✔ ${result.env} serial ${result.serial} was already published (no change)`
        : `✔ published ${result.env} serial ${result.serial}${result.previousSerial === null ? '' : ` (was ${result.previousSerial})`}`,
    );
    io.stdout(`  ${result.payloadPath}\n  ${result.manifestPath}`);
    return 0;
  },
};
