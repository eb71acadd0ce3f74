import { mkdir, realpath, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { UsageError, type Command } from '../command.ts';
import { parseArgs } from '../parse-args.ts';
import { loadProject } from '../../config/index.ts';
import { SNAPSHOT_PATTERN } from '../../config/schema/builders.ts';
import { WorkingTreeReader } from '../../config/repo-reader.ts';
import { importPromptfoo } from '../../import/promptfoo-config.ts';

const usage = `Usage: switchyard import promptfoo <promptfooconfig.yaml> [--snapshot <dated snapshot>] [--dry-run]

Turns an existing promptfoo config into prompt versions (one new draft version per prompt, with
the config's tests and defaultTest) and, when no model pin matches its provider, a model pin
(OpenAI, OpenAI-compatible, Anthropic, Ollama or http). Paths in the config are resolved against
its directory and must stay inside the repository. A tests file (tests: file://tests.yaml)
Switchyard can read as it is stays a file (tests.cases: file://…); otherwise its cases are copied in.
--snapshot sets the new pin's dated snapshot (promptfoo configs often call a floating alias such as
gpt-4o). Prints what could not be carried over and what needs your attention before
\`switchyard validate\` passes, each with its fix. Run \`switchyard validate\` and \`switchyard eval\` next.`;

export const command: Command = {
  name: 'import',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { 'dry-run': { type: 'boolean' }, snapshot: { type: 'string' } },
      allowPositionals: true,
    });
    if (positionals[0] !== 'promptfoo' || !positionals[1])
      throw new UsageError('usage: switchyard import promptfoo <promptfooconfig.yaml>');
    if (values.snapshot !== undefined && !new RegExp(SNAPSHOT_PATTERN).test(values.snapshot))
      throw new UsageError(`--snapshot ${values.snapshot} is not a dated snapshot (e.g. gpt-4o-2024-08-06)`);
    const root = await realpath(io.cwd);
    const config = resolve(root, positionals[1]);
    const rel = relative(root, config);
    if (rel.startsWith(`..${sep}`) || rel === '..') {
      io.stderr(
        `switchyard import: E_IMPORT_OUTSIDE ${positionals[1]} is outside the repository (${root}); copy it in first.`,
      );
      return 1;
    }
    const project = (await loadProject(root)).value;
    // Files are read as the evaluator reads them: inside the repository, symbolic links included.
    const reader = new WorkingTreeReader(root);
    let result;
    try {
      result = await importPromptfoo({
        configPath: rel.split(sep).join('/'),
        read: async (path) => {
          const read = await reader.read(path);
          if (!read.ok) throw new Error(`${read.code} ${read.message}`);
          return read.text;
        },
        project,
        ...(values.snapshot === undefined ? {} : { snapshot: values.snapshot }),
      });
    } catch (error) {
      io.stderr(`switchyard import: E_IMPORT_READ ${(error as Error).message}`);
      return 1;
    }
    for (const f of result.files) {
      if (!values['dry-run']) {
        await mkdir(dirname(join(root, f.path)), { recursive: true });
        await writeFile(join(root, f.path), f.text, { flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
          if (error.code === 'EEXIST') throw new Error(`${f.path} already exists; not overwritten`);
          throw error;
        });
      }
      io.stdout(`${values['dry-run'] ? 'would write' : 'wrote'} ${f.path}`);
    }
    for (const line of result.info) io.stdout(line);
    if (result.notes.length > 0) {
      io.stdout(`not carried over (${result.notes.length}):`);
      for (const n of result.notes) io.stdout(`  - ${n}`);
    } else {
      io.stdout('everything was carried over.');
    }
    if (result.attention.length > 0) {
      io.stdout(`needs your attention before \`switchyard validate\` passes (${result.attention.length}):`);
      for (const a of result.attention) io.stdout(`  - ${a}`);
    }
    return result.files.some((f) => f.path.startsWith('prompts/')) ? 0 : 1;
  },
};
