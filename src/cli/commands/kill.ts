import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { UsageError, type Command } from '../command.ts';
import { printDiagnostics } from '../format-diagnostics.ts';

const usage = `Usage: switchyard kill <flag> [--env <environment>] [--dir <repo>] [--revive]

Sets \`killed: true\` on rollouts/<flag>.yaml (a Flag, ModelRollout or Canary), changing only that
value: comments and formatting stay as they are. With --env, only that environment is killed
(environments.<env>.killed). --revive sets it back to false; with --env it removes that environment's
override (an override can never revive a flag killed everywhere). The usual way back is \`git revert\`.
Then validate, commit and publish — scripts/kill-switch.sh and the kill-switch workflow do all of it.

Exit codes: 0 killed (or already killed), 1 refused, 2 usage error.`;

const NAME = /^[a-z0-9][a-z0-9_-]*$/;

export const command: Command = {
  name: 'kill',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { env: { type: 'string' }, dir: { type: 'string' }, revive: { type: 'boolean' } },
      allowPositionals: true,
    });
    const flag = positionals[0];
    if (!flag || positionals.length > 1) throw new UsageError('exactly one flag name is required');
    if (!NAME.test(flag)) throw new UsageError(`'${flag}' is not a flag name (${NAME.source})`);
    if (values.env !== undefined && !NAME.test(values.env))
      throw new UsageError(`'${values.env}' is not an environment name`);
    const { setKilled } = await import('../../config/edit/set-killed.ts');
    const root = resolve(io.cwd, values.dir ?? '.');
    const file = `rollouts/${flag}.yaml`;
    const source = await readFile(join(root, file), 'utf8').catch(() => undefined);
    if (source === undefined) {
      io.stderr(
        `${file}:1:1 error E_KILL_UNKNOWN_FLAG no rollout file for '${flag}'\n  fix: pass the file name of a rollouts/*.yaml without .yaml`,
      );
      return 1;
    }
    const edit = setKilled(source, { file, killed: !values.revive, ...(values.env ? { env: values.env } : {}) });
    if (!edit.value) {
      printDiagnostics(io, edit.errors);
      return 1;
    }
    const state = values.revive ? 'false' : 'true';
    if (!edit.value.changed) {
      io.stdout(`${file}: ${edit.value.path} is already ${state}; nothing changed`);
      return 0;
    }
    await writeFile(join(root, file), edit.value.text);
    io.stdout(`${file}: ${edit.value.path}: ${state}`);
    return 0;
  },
};
