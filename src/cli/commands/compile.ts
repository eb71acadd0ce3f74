import { relative, resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { compileBundle } from '../../bundle/index.ts';
import { writeCompiled } from '../../bundle/dist-layout.ts';
import { loadProjectAtRef } from '../../config/index.ts';
import { resolveRef } from '../../git/index.ts';
import { UsageError, type Command } from '../command.ts';
import { formatDiagnostics } from '../format-diagnostics.ts';

const usage = `Usage: switchyard compile --env <env> [--out dist/] [--ref HEAD] [--root .]

Compiles the config of one git commit (default HEAD; the working tree's uncommitted changes are not
included) into the payload for one environment: RFC 8785 canonical JSON, byte-identical for the same
commit and environment, written to <out>/<env>/payload/<sha256>.json with a pointer in
<out>/<env>/compiled.json for \`switchyard sign\`.

  --env <env>     environment from switchyard.yaml (required)
  --out <dir>     output directory (default dist/)
  --ref <ref>     git commit to compile (default HEAD)
  --root <dir>    repository root (default the current directory)

Exit status: 0 compiled, 1 configuration errors, 2 usage error.`;

export const command: Command = {
  name: 'compile',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        env: { type: 'string' },
        out: { type: 'string', default: 'dist' },
        ref: { type: 'string', default: 'HEAD' },
        root: { type: 'string', default: '.' },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!values.env) throw new UsageError('--env is required');
    const root = resolve(io.cwd, values.root);
    let commit: string;
    try {
      commit = await resolveRef(root, values.ref);
    } catch (error) {
      throw new UsageError(`--ref ${values.ref}: ${(error as Error).message}`);
    }
    const loaded = await loadProjectAtRef(root, commit);
    const report = (errors: typeof loaded.errors, warnings: typeof loaded.warnings) =>
      formatDiagnostics(
        { root: values.root, pathPrefix: '', files: loaded.value?.files.size ?? 0, errors, warnings },
        'text',
        { color: io.color?.stderr },
      );
    if (!loaded.value || loaded.errors.length > 0) {
      io.stderr(report(loaded.errors, loaded.warnings));
      io.stderr(`✖ ${commit.slice(0, 12)} does not validate; nothing compiled`);
      return 1;
    }
    const compiled = compileBundle(loaded.value, { env: values.env, commit });
    if (!compiled.value) {
      io.stderr(report(compiled.errors, compiled.warnings));
      return 1;
    }
    if (compiled.warnings.length > 0) io.stderr(report([], compiled.warnings));
    const out = resolve(io.cwd, values.out);
    const file = await writeCompiled(out, compiled.value);
    io.stdout(
      `✔ compiled ${values.env} at ${commit.slice(0, 12)}: ${compiled.value.bytes.byteLength} bytes, sha256 ${compiled.value.sha256}`,
    );
    io.stdout(`  ${relative(io.cwd, file) || file}`);
    return 0;
  },
};
