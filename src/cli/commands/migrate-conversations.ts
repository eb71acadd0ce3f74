import { resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { loadProject } from '../../config/index.ts';
import { ConversationError } from '@switchyard/data';
import {
  MigrateError,
  renderReport,
  runConversationMigration,
  selectConversationMigration,
  type MigrationReport,
  type PlanResult,
  type Progress,
} from '../../migrate/conversations/index.ts';
import { createProgressReporter, type ProgressReporter } from '../../migrate/shared/progress.ts';
import { DEFAULT_STORE_SCHEMA, openSqlClient, StoreError, storeOptionsFromEnv } from '@switchyard/data';
import type { SqlClient } from '@switchyard/data';
import { UsageError, type Command, type CommandIo } from '../command.ts';
import { positiveInt } from '../parse-numbers.ts';
import { DATABASE_OPTIONS, DATABASE_USAGE, databaseSelection } from '../database-options.ts';
import { printDiagnostics } from '../format-diagnostics.ts';

const usage = `Usage: switchyard migrate conversations [options]

Upgrades stored conversation records from the SchemaMigration plan's \`from\` version to its \`to\`
version (rollouts/*.yaml, kind: SchemaMigration, entity: conversation): in id order, in batches of the
plan's batchSize, with conditional writes (a record the application changed meanwhile is read again,
never overwritten), a checkpoint per batch (a killed run resumes where it stopped), never dropping a
field. Records that cannot be upgraded are reported and left untouched. Running it again changes nothing.

The records are in Switchyard's conversations table (in --schema), or in the application's own table
when the plan has a storage: block (table, key, record, version …; checked before any row is read;
the checkpoint stays in --schema). See docs/guides/conversation-migration.md, "Your own table".

Options:
  --migration <id>       the SchemaMigration to run (required when several migrate conversations)
  --dry-run              report what would change (counts per version, fields added/renamed, records
                         that cannot be upgraded, a sample diff) without writing anything
  --env <name>           the environment this database serves (checked against switchyard.yaml)
${DATABASE_USAGE}
  --batch-size <n>       records per batch (default: the plan's batchSize)
  --pause-ms <n>         pause between batches, leaving the database to the application (default 0)
  --restart              ignore the checkpoint of an unfinished run and start from the first record
  --sample <n>           records whose diff a dry run shows (default 3)
  --format text|json     report on stdout (default text)
  --quiet                no progress on stderr
  --root <dir>           project root (default: current directory)

Progress goes to stderr: one updating line on a terminal, a line every few seconds otherwise.
Ctrl-C stops after the current batch (run again to resume).

One run at a time per migration and schema: a second one (even with --restart) stops with
E_MIGRATE_RUNNING while the first holds its lock (a PostgreSQL session-level advisory lock, released
when the run ends or its process dies). A dry run takes no lock.

Exit codes: 0 done (dry run: nothing that cannot be upgraded), 1 records that cannot be upgraded or
still below the target, an interrupted run, another run in progress, or a project/store problem,
2 usage error (including an unknown --env).`;

function parseConversationArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      migration: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      env: { type: 'string' },
      ...DATABASE_OPTIONS,
      'batch-size': { type: 'string' },
      'pause-ms': { type: 'string' },
      restart: { type: 'boolean', default: false },
      sample: { type: 'string' },
      format: { type: 'string', default: 'text' },
      quiet: { type: 'boolean', default: false },
      root: { type: 'string' },
    },
  });
}

type Say = (line: string) => void;

/**
 * The migration to run, from the project at `root`; an exit status when the project does not
 * validate (1) or the plan cannot be chosen (2 when ambiguous). An unknown `--env` is a usage error.
 */
async function loadMigrationPlan(
  root: string,
  env: string | undefined,
  migrationId: string | undefined,
  io: CommandIo,
  say: Say,
): Promise<Extract<PlanResult, { ok: true }> | number> {
  const loaded = await loadProject(root);
  if (!loaded.value || loaded.errors.length > 0) {
    say('the project does not validate; fix it first (switchyard validate):');
    printDiagnostics(io, loaded.errors);
    return 1;
  }
  const project = loaded.value;
  if (env !== undefined && !project.settings.environments.some((e) => e.name === env)) {
    throw new UsageError(
      `unknown environment '${env}' (switchyard.yaml lists ${project.settings.environments.map((e) => e.name).join(', ')})`,
    );
  }
  const plan = selectConversationMigration(project, migrationId);
  if (!plan.ok) {
    say(`${plan.code} ${plan.message}`);
    return plan.code === 'E_MIGRATE_AMBIGUOUS' ? 2 : 1;
  }
  return plan;
}

/** The progress line on stderr and the runner's callback that feeds it. */
function progressOutput(
  label: string,
  dryRun: boolean,
  quiet: boolean,
  io: CommandIo,
): { reporter: ProgressReporter; onProgress: (p: Progress) => void } {
  const tty = process.stderr.isTTY === true;
  const reporter = createProgressReporter({
    label,
    unit: 'records',
    // A terminal gets one line rewritten in place (raw writes: io.stderr ends every write with a newline).
    write: tty ? (text) => process.stderr.write(text) : (text) => io.stderr(text),
    tty,
    quiet,
    intervalMs: 2000,
  });
  const onProgress = (p: Progress): void => {
    reporter.update(
      p.scanned,
      p.pending,
      { [dryRun ? 'would upgrade' : 'upgraded']: p.upgraded, failed: p.failed },
      p.resumed,
    );
    if (p.done) reporter.finish();
  };
  return { reporter, onProgress };
}

/** 1 when interrupted or any record failed; a real run also fails while records remain. */
function exitStatus(report: MigrationReport, dryRun: boolean): number {
  const failed = Object.values(report.problemsByCode).reduce((a, b) => a + b, 0);
  if (report.interrupted) return 1;
  if (dryRun) return failed > 0 ? 1 : 0;
  return failed > 0 || report.remaining > 0 ? 1 : 0;
}

export const command: Command = {
  name: 'migrate conversations',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseConversationArgs(argv);
    // `migrate conversations <id>` reads naturally too.
    if (positionals.length > 1) throw new UsageError('expected at most one migration id');
    const migrationId = values.migration ?? positionals[0];
    if (values.migration !== undefined && positionals[0] !== undefined && positionals[0] !== values.migration) {
      throw new UsageError(`two migration ids given ('${positionals[0]}' and --migration '${values.migration}')`);
    }
    const format = values.format;
    if (format !== 'text' && format !== 'json') throw new UsageError('--format must be text or json');
    const batchSize = positiveInt(values['batch-size'], 'batch-size');
    const pauseMs = positiveInt(values['pause-ms'], 'pause-ms', 0);
    const sampleSize = positiveInt(values.sample, 'sample', 0);
    const database = storeOptionsFromEnv(resolve(io.cwd, values.root ?? '.'), io.env, databaseSelection(values, io));
    const schema = database.schema ?? DEFAULT_STORE_SCHEMA;
    const dryRun = values['dry-run'];
    const say: Say = (line) => io.stderr(`switchyard migrate conversations: ${line}`);

    const root = resolve(io.cwd, values.root ?? '.');
    const plan = await loadMigrationPlan(root, values.env, migrationId, io, say);
    if (typeof plan === 'number') return plan;

    let client: SqlClient;
    try {
      client = await openSqlClient(database);
    } catch (error) {
      say(`${error instanceof StoreError ? error.code : 'E_STORE_OPEN'} ${(error as Error).message}`);
      return 1;
    }
    const { reporter, onProgress } = progressOutput(
      `${plan.migration.id}${dryRun ? ' (dry run)' : ''}`,
      dryRun,
      values.quiet,
      io,
    );
    const abort = new AbortController();
    const onSigint = (): void => {
      say('stopping after the current batch (Ctrl-C again to kill)');
      abort.abort();
    };
    process.once('SIGINT', onSigint);
    try {
      const report = await runConversationMigration(client, {
        migration: plan.migration,
        schema,
        storage: plan.storage,
        source: plan.source,
        dryRun,
        batchSize,
        pauseMs,
        restart: values.restart,
        sampleSize,
        onProgress,
        signal: abort.signal,
        // PostgreSQL: the run opens a connection of its own for the lock (a pool has no fixed session).
        lock: database.backend === 'postgres' ? { connectionString: database.connectionString } : undefined,
      });
      io.stdout(
        format === 'json' ? JSON.stringify({ ...report, env: values.env ?? null }, null, 2) : renderReport(report),
      );
      return exitStatus(report, dryRun);
    } catch (error) {
      if (error instanceof MigrateError || error instanceof ConversationError) {
        reporter.finish();
        say(`${error.code} ${error.message}`);
        return 1;
      }
      throw error;
    } finally {
      process.off('SIGINT', onSigint);
      await client.close().catch(() => {});
    }
  },
};
