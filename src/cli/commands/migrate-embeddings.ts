import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { loadProject } from '../../config/index.ts';
import {
  backfillAllowed,
  checkpointQueries,
  countFacts,
  cleanupOldIndex,
  committedPlan,
  decideAdvance,
  editPhase,
  failedVerification,
  latestVerification,
  resolvePlan,
  runBackfill,
  storeVerification,
  verifyMigration,
  type BackfillReport,
  type PlanProblem,
  type ResolvedPlan,
  type VerifyReport,
} from '../../migrate/embeddings/index.ts';
import { createProgressReporter } from '../../migrate/shared/progress.ts';
import { RunLockError, type RunLockOption } from '../../migrate/shared/run-lock.ts';
import { quoteIdent } from '@switchyard/data';
import { storeOptionsFromEnv } from '@switchyard/data';
import { openVectorDatabase, type VectorStore } from '@switchyard/data';
import { createEmbedder, openEmbeddingEndpoint } from '../../migrate/embeddings/embedder.ts';
import { UsageError, type Command, type CommandIo } from '../command.ts';
import { DATABASE_OPTIONS, DATABASE_USAGE, databaseSelection } from '../database-options.ts';
import { printDiagnostics } from '../format-diagnostics.ts';
import { positiveInt } from '../parse-numbers.ts';
import { problem } from '../../errors/index.ts';

const usage = `Usage: switchyard migrate embeddings <id> [mode] [options]

Runs the EmbeddingMigration plan rollouts/<id>.yaml against the application's database.

Modes (default: backfill):
  (none)                 backfill: re-embed every document into the plan's target index (to.index)
                         through the embeddings API, in batches by id; each batch commits with its
                         checkpoint, so a killed run resumes where it stopped. Allowed in the phases
                         backfill, dual-read and cutover (the application must be dual-writing).
  --retry-dead-letters   re-embed only the documents in the dead-letter table
  --repair-old           backfill the OLD index (from.index) instead: re-embed what it lacks or holds
                         at another version, so a step back to an earlier phase reads complete data
  --verify               check the target index (counts, dimensions, top-k overlap with the old index
                         on sample queries), store the result (also when it could not run) and print it
  --advance              move the plan's phase one step in rollouts/<id>.yaml (commit it through a PR).
                         From backfill on, only when the latest stored verification passed: on the
                         current data, or — documents changed since — no older than
                         verify.maxAgeMinutes (default 60) with the count checks passing again now
  --cleanup              retire the old index (from.index): drop it and record that nothing may
                         re-create it. Only when the phase is complete in the working tree AND in
                         the plan committed on --ref; run it after every instance has swapped to
                         the published complete bundle
  --status               print the checkpoint, dead letters and latest verification

Options:
  --env <name>           use this environment's phase (environments.<name>.phase, else phase)
${DATABASE_USAGE}
  --base-url <url>       embeddings API (default: OpenAI with $OPENAI_API_KEY, else the offline model
                         server started in-process on 127.0.0.1)
  --batch-size <n>       override backfill.batchSize
  --concurrency <n>      override backfill.concurrency
  --format text|json     report on stdout (default text)
  --quiet                no progress on stderr
  --ref <git-ref>        --cleanup: the published branch whose committed plan must say complete
                         (default main)
  --root <dir>           project root (default: current directory)

Progress goes to stderr: one updating line on a terminal, a line every 5 s otherwise. Ctrl-C stops
after the batches being committed (run again to resume). One backfill at a time per migration and
schema: a second one stops with E_MIGRATE_RUNNING.

Errors print 'switchyard migrate embeddings: CODE message' (with --format json, also
{"error":{"code","message","hint"}} on stdout): E_MIGRATE_* for the plan and the run, E_EMBED_* for
the embeddings API, E_VECTOR_* and E_STORE_* / E_MIGRATE_STORE for the database.

Exit codes: 0 done / verified / advanced / cleaned up, 1 a failed check, a stopped or failed run, a
refused phase, a project, API or store problem, 2 usage error (including an unknown --env).`;

const MODES = ['verify', 'advance', 'cleanup', 'status', 'retry-dead-letters', 'repair-old'] as const;

/** Prints a refusal or an error with its stable code (text on stderr; with --format json, also a JSON object on stdout). */
function printProblem(io: CommandIo, p: PlanProblem, json = false): number {
  io.stderr(`switchyard migrate embeddings: ${p.code} ${p.message}${p.hint ? `\n  hint: ${p.hint}` : ''}`);
  if (json)
    io.stdout(
      JSON.stringify({ error: { code: p.code, message: p.message, ...(p.hint ? { hint: p.hint } : {}) } }, null, 2),
    );
  return 1;
}

/**
 * A thrown error as a problem with a stable code: the library's own codes (E_EMBED_*, E_VECTOR_*,
 * E_STORE_*, E_MIGRATE_*) as they are; anything else (a database error, say) is E_MIGRATE_STORE.
 */
export function errorProblem(error: unknown, context?: string): PlanProblem {
  const code = (error as { code?: unknown }).code;
  const message = `${context ? `${context}: ` : ''}${(error as Error).message ?? String(error)}`;
  if (typeof code === 'string' && code.startsWith('E_EMBED')) {
    return {
      ok: false,
      code,
      message,
      hint: 'check that the embeddings API is reachable (--base-url, OPENAI_API_KEY) and run again',
    };
  }
  if (typeof code === 'string' && /^E_[A-Z0-9_]+$/.test(code))
    return { ok: false, code, message, hint: code === 'E_VECTOR_NO_INDEX' ? 'run the backfill first' : undefined };
  return {
    ok: false,
    code: 'E_MIGRATE_STORE',
    message,
    hint: 'check the database (--database-url, --data-dir, --schema) and run again',
  };
}

function renderBackfill(r: BackfillReport): string {
  const cp = r.checkpoint;
  const lines = [
    `backfill ${r.migration} → ${r.targetIndex}: ${r.status}${r.resumedFrom !== null ? ` (resumed after '${r.resumedFrom}')` : ''}`,
    `  this run: ${r.embedded} embedded, ${r.reconciled} reconciled, ${r.skipped} skipped (newer version written by the application), ${r.deadLettered} dead-lettered; ${r.batches} batches, ${r.requests} requests, ${r.retries} retries, ${(r.durationMs / 1000).toFixed(1)} s`,
  ];
  if (r.reconciledIds.length > 0)
    lines.push(`  reconciled: ${r.reconciledIds.slice(0, 10).join(', ')}${r.reconciled > 10 ? ', …' : ''}`);
  if (cp)
    lines.push(
      `  checkpoint: ${cp.status}, last id '${cp.lastDocId ?? ''}', ${cp.embedded} embedded + ${cp.reconciled} reconciled over ${cp.runs} run(s)`,
    );
  lines.push(
    `  dead letters: ${r.deadLetters}${r.deadLetters > 0 ? ' (--status lists them; --retry-dead-letters tries again)' : ''}`,
  );
  if (r.error) lines.push(`  ${r.error.code} ${r.error.message}`);
  return lines.join('\n');
}

function renderVerify(v: VerifyReport): string {
  const lines = [
    `verify ${v.migration} (${v.env}, phase ${v.phase}): ${v.passed ? 'PASSED' : 'FAILED'}${v.id !== undefined ? ` — stored as #${v.id}` : ''}`,
  ];
  for (const c of v.checks) lines.push(`  ${c.passed ? '✔' : '✘'} ${c.name}: ${c.detail}`);
  return lines.join('\n');
}

function parseEmbeddingArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      env: { type: 'string' },
      verify: { type: 'boolean', default: false },
      advance: { type: 'boolean', default: false },
      cleanup: { type: 'boolean', default: false },
      status: { type: 'boolean', default: false },
      'retry-dead-letters': { type: 'boolean', default: false },
      ...DATABASE_OPTIONS,
      'base-url': { type: 'string' },
      'batch-size': { type: 'string' },
      concurrency: { type: 'string' },
      format: { type: 'string', default: 'text' },
      quiet: { type: 'boolean', default: false },
      root: { type: 'string' },
      ref: { type: 'string' },
      'repair-old': { type: 'boolean', default: false },
    },
  });
}

type EmbeddingValues = ReturnType<typeof parseEmbeddingArgs>['values'];
type Mode = 'backfill' | (typeof MODES)[number];

/**
 * The plan of migration `id` in the project at `root`, or an exit status: a project that does not
 * validate or a plan problem is printed (as JSON with `--format json`).
 */
async function loadPlan(
  root: string,
  id: string,
  env: string | undefined,
  io: CommandIo,
  json: boolean,
): Promise<ResolvedPlan | number> {
  const loaded = await loadProject(root);
  if (!loaded.value || loaded.errors.length > 0) {
    io.stderr('switchyard migrate embeddings: the project does not validate; fix it first (switchyard validate):');
    printDiagnostics(io, loaded.errors);
    if (json)
      io.stdout(
        JSON.stringify(
          {
            error: {
              code: 'E_MIGRATE_PROJECT',
              message: 'the project does not validate',
              diagnostics: loaded.errors,
            },
          },
          null,
          2,
        ),
      );
    return 1;
  }
  const resolved = resolvePlan(loaded.value, id, env);
  if (!resolved.ok) {
    // The same as `migrate conversations`: a name the command line got wrong is a usage error.
    if (resolved.code === 'E_MIGRATE_ENV') throw new UsageError(`${resolved.message} (${resolved.hint})`);
    return printProblem(io, resolved, json);
  }
  return resolved;
}

/** The mode's work against the open store; the caller reports a throw and closes the store. */
async function runMode(
  mode: Mode,
  io: CommandIo,
  store: VectorStore,
  resolved: ResolvedPlan,
  storeOptions: ReturnType<typeof storeOptionsFromEnv>,
  values: EmbeddingValues,
  root: string,
  id: string,
  json: boolean,
): Promise<number> {
  switch (mode) {
    case 'backfill':
    case 'retry-dead-letters':
    case 'repair-old': {
      // The runner takes the single-runner lock (per schema, migration and target index); on
      // PostgreSQL on a connection of its own, since the pool has no fixed session.
      const lock: RunLockOption | undefined =
        storeOptions.backend === 'postgres' ? { connectionString: storeOptions.connectionString } : undefined;
      return await backfill(io, store, resolved, {
        mode,
        baseUrl: values['base-url'],
        quiet: values.quiet,
        json,
        lock,
      });
    }
    case 'verify':
      return await verify(io, store, resolved, values['base-url'], json);
    case 'advance':
      return await advance(io, store, resolved, root, json);
    case 'cleanup':
      return await cleanup(io, store, resolved, root, id, values, json);
    case 'status':
      return await status(io, store, resolved, json);
  }
}

/** `--cleanup`: retire the old index once the plan committed on `--ref` is complete. */
async function cleanup(
  io: CommandIo,
  store: VectorStore,
  resolved: ResolvedPlan,
  root: string,
  id: string,
  values: EmbeddingValues,
  json: boolean,
): Promise<number> {
  const committed =
    resolved.phase === 'complete'
      ? await committedPlan(root, id, values.env, values.ref ?? 'main')
      : problem('E_MIGRATE_PHASE', 'not complete');
  const result = await cleanupOldIndex(store, resolved, committed);
  if (!result.ok) return printProblem(io, result, json);
  io.stdout(
    json
      ? JSON.stringify({ dropped: result.dropped, index: result.index, ref: result.ref })
      : `retired the old index '${result.index}' (${result.dropped ? 'dropped' : 'already dropped'}; recorded as retired, so no instance re-creates it) — the plan is complete at '${result.ref}'`,
  );
  return 0;
}

export const command: Command = {
  name: 'migrate embeddings',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseEmbeddingArgs(argv);
    const [id, ...extra] = positionals;
    if (!id || extra.length > 0) throw new UsageError('expected exactly one migration id');
    const modes = MODES.filter((m) => values[m]);
    if (modes.length > 1) throw new UsageError(`choose one of ${modes.map((m) => `--${m}`).join(', ')}`);
    const mode = modes[0] ?? 'backfill';
    const format = values.format;
    if (format !== 'text' && format !== 'json') throw new UsageError('--format must be text or json');
    const batchSize = positiveInt(values['batch-size'], 'batch-size');
    const concurrency = positiveInt(values.concurrency, 'concurrency');
    const database = databaseSelection(values, io);

    const json = format === 'json';
    const root = resolve(io.cwd, values.root ?? '.');
    const resolved = await loadPlan(root, id, values.env, io, json);
    if (typeof resolved === 'number') return resolved;
    if (batchSize) resolved.backfill.batchSize = batchSize;
    if (concurrency) resolved.backfill.concurrency = concurrency;
    if (mode === 'backfill' || mode === 'retry-dead-letters' || mode === 'repair-old') {
      const refused = backfillAllowed(resolved.phase);
      if (refused) return printProblem(io, refused, json);
    }

    const storeOptions = storeOptionsFromEnv(root, io.env, database);
    let store: VectorStore;
    try {
      store = await openVectorDatabase(storeOptions);
    } catch (error) {
      return printProblem(io, errorProblem(error, 'cannot open the database'), json);
    }
    try {
      return await runMode(mode, io, store, resolved, storeOptions, values, root, id, json);
    } catch (error) {
      const context =
        error instanceof RunLockError ? undefined : `${mode === 'backfill' ? 'the backfill' : `--${mode}`} failed`;
      return printProblem(io, errorProblem(error, context), json);
    } finally {
      await store.close().catch(() => {});
    }
  },
};

async function backfill(
  io: CommandIo,
  store: VectorStore,
  resolved: ResolvedPlan,
  options: {
    mode: 'backfill' | 'retry-dead-letters' | 'repair-old';
    baseUrl: string | undefined;
    quiet: boolean;
    json: boolean;
    lock: RunLockOption | undefined;
  },
): Promise<number> {
  const endpoint = await openEmbeddingEndpoint(io.env, options.baseUrl);
  const embedder = createEmbedder({ baseURL: endpoint.baseUrl, apiKey: endpoint.apiKey });
  const tty = process.stderr.isTTY === true;
  // --repair-old: the same runner with the old index as its target, reconcile only (what the
  // application's writes to the old index missed), under its own checkpoint row.
  // On the application's table the old column becomes the target column the same way.
  const original = resolved.plan;
  const plan =
    options.mode === 'repair-old'
      ? {
          ...original,
          to: original.from,
          ...(original.storage && { storage: { ...original.storage, to: original.storage.from } }),
        }
      : original;
  const progress = createProgressReporter({
    label: `${plan.migration} → ${plan.to.index}`,
    unit: 'docs',
    write: (text) => process.stderr.write(text),
    tty,
    quiet: options.quiet,
  });
  if (!options.quiet) io.stderr(`embeddings from: ${endpoint.label}; store: ${store.backend} (${store.vectorType})`);
  const abort = new AbortController();
  const onSigint = (): void => {
    io.stderr('\nswitchyard migrate embeddings: stopping (the checkpoint keeps the progress; run again to resume)');
    abort.abort(new Error('interrupted'));
  };
  process.once('SIGINT', onSigint);
  try {
    const report = await runBackfill({
      store,
      embedder,
      plan,
      settings: resolved.backfill,
      retryDeadLetters: options.mode === 'retry-dead-letters',
      reconcileOnly: options.mode === 'repair-old',
      signal: abort.signal,
      lock: options.lock,
      onProgress: (p) =>
        progress.update(
          p.done,
          p.total,
          { 'dead letters': p.deadLetters, retries: p.retries, stage: p.stage },
          p.resumed,
        ),
    });
    progress.finish();
    io.stdout(options.json ? JSON.stringify(report, null, 2) : renderBackfill(report));
    if (report.status === 'complete' && !options.json && options.mode === 'backfill') {
      io.stderr(
        `next: switchyard migrate embeddings ${resolved.plan.migration}${resolved.env ? ` --env ${resolved.env}` : ''} --verify`,
      );
    }
    return report.status === 'complete' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    await endpoint.close();
  }
}

async function verify(
  io: CommandIo,
  store: VectorStore,
  resolved: ResolvedPlan,
  baseUrl: string | undefined,
  json: boolean,
): Promise<number> {
  const endpoint = await openEmbeddingEndpoint(io.env, baseUrl);
  try {
    const embedder = createEmbedder({ baseURL: endpoint.baseUrl, apiKey: endpoint.apiKey, maxRetries: 3 });
    const options = {
      store,
      embedder,
      plan: resolved.plan,
      settings: resolved.verify,
      env: resolved.envKey,
      phase: resolved.phase,
    };
    let report: VerifyReport;
    let failure: PlanProblem | undefined;
    try {
      report = await verifyMigration(options);
    } catch (error) {
      // A verification that could not run is a failed one: stored as such, so --advance and
      // --status see it instead of an older pass.
      failure = errorProblem(error, 'verification could not run');
      report = await failedVerification(options, failure);
    }
    report = await storeVerification(store, report);
    io.stdout(
      json
        ? JSON.stringify(
            failure
              ? {
                  ...report,
                  error: {
                    code: failure.code,
                    message: failure.message,
                    ...(failure.hint ? { hint: failure.hint } : {}),
                  },
                }
              : report,
            null,
            2,
          )
        : renderVerify(report),
    );
    if (failure) printProblem(io, failure);
    return report.passed ? 0 : 1;
  } finally {
    await endpoint.close();
  }
}

async function advance(
  io: CommandIo,
  store: VectorStore,
  resolved: ResolvedPlan,
  root: string,
  json: boolean,
): Promise<number> {
  const decision = await decideAdvance(store, resolved);
  if (!decision.ok) return printProblem(io, decision, json);
  const file = `rollouts/${resolved.plan.migration}.yaml`;
  const path = join(root, file);
  const edited = editPhase(await readFile(path, 'utf8'), decision, file);
  if (!edited.ok) return printProblem(io, edited, json);
  await writeFile(path, edited.text);
  const where = decision.path.join('.');
  io.stdout(
    json
      ? JSON.stringify({ file, path: decision.path, from: decision.from, to: decision.to, reason: decision.reason })
      : `${file}: ${where} ${decision.from} → ${decision.to} (${decision.reason})\ncommit it and open a pull request: CI validates the step and the merge publishes the new routes`,
  );
  return 0;
}

async function status(io: CommandIo, store: VectorStore, resolved: ResolvedPlan, json: boolean): Promise<number> {
  const { plan } = resolved;
  const checkpoint = await checkpointQueries(store).load(store.client, plan.migration, plan.to.index);
  const s = quoteIdent(store.schema);
  const deadLetters = await store.client.query<{
    doc_id: string;
    version: string;
    code: string;
    message: string;
    attempts: number;
  }>(
    `SELECT doc_id, version, code, message, attempts FROM ${s}.migration_dead_letters WHERE migration = $1 AND target_index = $2 ORDER BY doc_id LIMIT 50`,
    [plan.migration, plan.to.index],
  );
  const verification = await latestVerification(store, plan.migration, resolved.envKey);
  const indexes = await store.listIndexes();
  const counts = await Promise.all(indexes.map(async (i) => ({ ...i, vectors: await store.countEmbeddings(i.index) })));
  // On the application's table (storage:), its rows are the documents.
  const applicationTable = plan.storage ? await countFacts(store, plan) : undefined;
  // Rows the next run would clear (the document is gone or indexed since) do not count.
  const outstandingDeadLetters =
    applicationTable?.deadLetters ??
    (await checkpointQueries(store).deadLetterCount(store.client, plan.migration, plan.to.index));
  const result = {
    migration: plan.migration,
    env: resolved.envKey,
    phase: resolved.phase,
    documents: applicationTable?.documents ?? (await store.countDocuments()),
    indexes: counts,
    ...(applicationTable && { applicationTable: { table: plan.storage!.table, ...applicationTable } }),
    checkpoint,
    deadLetters,
    outstandingDeadLetters,
    verification,
  };
  if (json) {
    io.stdout(JSON.stringify(result, null, 2));
    return 0;
  }
  const lines = [
    `${plan.migration} (${resolved.envKey}): phase ${resolved.phase}; ${result.documents} documents; store ${store.backend} (${store.vectorType})`,
  ];
  for (const i of counts) lines.push(`  index ${i.index}: ${i.model}, ${i.dimension} dims, ${i.vectors} vectors`);
  if (applicationTable)
    lines.push(
      `  table ${plan.storage!.table}.${plan.storage!.to.column}: ${applicationTable.current} current, ${applicationTable.missing} missing, ${applicationTable.stale} changed since embedded`,
    );
  lines.push(
    checkpoint
      ? `  checkpoint: ${checkpoint.status}, last id '${checkpoint.lastDocId ?? ''}', ${checkpoint.embedded} embedded, ${checkpoint.batches} batches, ${checkpoint.runs} run(s)`
      : '  checkpoint: none (backfill never ran)',
  );
  lines.push(
    `  dead letters: ${deadLetters.length}${deadLetters.length === 50 ? '+' : ''} (${outstandingDeadLetters} outstanding: at the document's current version, not indexed since)`,
  );
  for (const d of deadLetters)
    lines.push(`    ${d.doc_id} v${d.version}: ${d.code} ${d.message} (${d.attempts} attempt(s))`);
  lines.push(
    verification
      ? `  latest verification #${verification.id} (${verification.createdAt}): ${verification.passed ? 'passed' : 'failed'}`
      : '  latest verification: none',
  );
  io.stdout(lines.join('\n'));
  return 0;
}
