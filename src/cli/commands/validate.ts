import { stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { loadProject } from '../../config/index.ts';
import { resolveRef } from '../../git/index.ts';
import { UsageError, type Command } from '../command.ts';
import { formatDiagnostics, type DiagnosticFormat } from '../format-diagnostics.ts';

const FORMATS: readonly DiagnosticFormat[] = ['text', 'json', 'github'];

const usage = `Usage: switchyard validate [dir] [--base <git-ref>] [--format text|json|github]

Checks every resource in dir (default: the current directory): YAML syntax, schemas, names and
paths, cross-file references, and with --base the history rules against that git ref.

  --base <ref>       also apply the history rules (immutable versions, stage steps, seeds, phases)
  --format <f>       text (default), json (stable, see docs/resources.md), github (annotations)

Exit status: 0 clean (warnings allowed), 1 configuration errors, 2 usage error.`;

export const command: Command = {
  name: 'validate',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { base: { type: 'string' }, format: { type: 'string', default: 'text' } },
    });
    if (positionals.length > 1) throw new UsageError(`expected at most one directory, got ${positionals.length}`);
    const format = values.format as DiagnosticFormat;
    if (!FORMATS.includes(format))
      throw new UsageError(`unknown format '${values.format}' (use ${FORMATS.join(', ')})`);
    const dir = resolve(io.cwd, positionals[0] ?? '.');
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) throw new UsageError(`not a directory: ${positionals[0] ?? '.'}`);
    if (values.base !== undefined) {
      try {
        await resolveRef(dir, values.base);
      } catch (error) {
        throw new UsageError(`--base ${values.base}: ${(error as Error).message}`);
      }
    }

    const result = await loadProject(dir, values.base !== undefined ? { base: values.base } : {});
    const prefix = relative(io.cwd, dir);
    const text = formatDiagnostics(
      {
        root: positionals[0] ?? '.',
        pathPrefix: prefix === '' ? '' : `${prefix.split(sep).join('/')}/`,
        files: result.value?.files.size ?? 0,
        errors: result.errors,
        warnings: result.warnings,
        ...(values.base !== undefined ? { base: values.base } : {}),
      },
      format,
      { color: io.color?.stdout },
    );
    io.stdout(text);
    return result.errors.length > 0 ? 1 : 0;
  },
};
