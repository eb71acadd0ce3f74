import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadProject } from '../../config/index.ts';
import {
  backfillAllowed,
  checkpointQueries,
  cleanupOldIndex,
  committedPlan,
  decideAdvance,
  editPhase,
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
import { createEmbedder, openEmbeddingEndpoint, openVectorDatabase, vectorStoreOptionsFromEnv, type VectorStore } from '../../vectors/index.ts';
import { UsageError, type Command, type CommandIo } from '../command.ts';
import { DATABASE_OPTIONS, DATABASE_USAGE, databaseSelection } from '../database-options.ts';
import { formatDiagnosticLines } from '../format-diagnostics.ts';

const usage = `Usage: switchyard migrate embeddings <id> [mode] [options]

Runs the EmbeddingMigration plan rollouts/<id>.yaml against the application's database.

Modes (default: backfill):
  (none)                 backfill: re-embed every document into the plan's target index (to.index)
                         through the embeddings API, in batches by id; each batch commits with its
                         checkpoint, so a killed run resumes where it stopped. Allowed in the phases
                         backfill, dual-read and cutover (the application must be dual-writing).
  --retry-dead-letters   re-embed only the documents in the dead-letter table
  --verify               check the target index (counts, dimensions, top-k overlap with the old index
                         on sample queries), store the result and print it
  --advance              move the plan's phase one step in rollouts/<id>.yaml (commit it through a PR),
                         only when the latest verification passed for the current data
  --cleanup              drop the old index (from.index); only when the phase is complete
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
  --root <dir>           project root (default: current directory)

Progress goes to stderr: one updating line on a terminal, a line every 5 s otherwise. Ctrl-C stops
after the batches being committed (run again to resume).

Exit codes: 0 done / verified / advanced / cleaned up, 1 a failed check, a stopped or failed run, a
refused phase, a project or store problem, 2 usage error.`;

const MODES = ['verify', 'advance', 'cleanup', 'status', 'retry-dead-letters'] as const;

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`--${name} must be a positive integer`);
  return v;
}

function problem(io: CommandIo, p: PlanProblem): number {
  io.stderr(`switchyard migrate embeddings: ${p.code} ${p.message}${p.hint ? `\n  hint: ${p.hint}` : ''}`);
  return 1;
}

function renderBackfill(r: BackfillReport): string {
  const cp = r.checkpoint;
  const lines = [
    `backfill ${r.migration} → ${r.targetIndex}: ${r.status}${r.resumedFrom !== null ? ` (resumed after '${r.resumedFrom}')` : ''}`,
    `  this run: ${r.embedded} embedded, ${r.reconciled} reconciled, ${r.skipped} skipped (newer version written by the application), ${r.deadLettered} dead-lettered; ${r.batches} batches, ${r.requests} requests, ${r.retries} retries, ${(r.durationMs / 1000).toFixed(1)} s`,
  ];
  if (cp) lines.push(`  checkpoint: ${cp.status}, last id '${cp.lastDocId ?? ''}', ${cp.embedded} embedded + ${cp.reconciled} reconciled over ${cp.runs} run(s)`);
  lines.push(`  dead letters: ${r.deadLetters}${r.deadLetters > 0 ? ' (--status lists them; --retry-dead-letters tries again)' : ''}`);
  if (r.error) lines.push(`  ${r.error.code} ${r.error.message}`);
  return lines.join('\n');
}

function renderVerify(v: VerifyReport): string {
  const lines = [`verify ${v.migration} (${v.env}, phase ${v.phase}): ${v.passed ? 'PASSED' : 'FAILED'}${v.id !== undefined ? ` — stored as #${v.id}` : ''}`];
  for (const c of v.checks) lines.push(`  ${c.passed ? '✔' : '✘'} ${c.name}: ${c.detail}`);
  return lines.join('\n');
}

export const command: Command = {
  name: 'migrate embeddings',
  summary: 'Backfill, verify, advance and clean up an embedding migration',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
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
      },
    });
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

    const root = resolve(io.cwd, values.root ?? '.');
    const loaded = await loadProject(root);
    if (!loaded.value || loaded.errors.length > 0) {
      io.stderr('switchyard migrate embeddings: the project does not validate; fix it first (switchyard validate):');
      if (loaded.errors.length > 0) io.stderr(formatDiagnosticLines(loaded.errors).join('\n'));
      return 1;
    }
    const resolved = resolvePlan(loaded.value, id, values.env);
    if ('code' in resolved) return problem(io, resolved);
    if (batchSize) resolved.backfill.batchSize = batchSize;
    if (concurrency) resolved.backfill.concurrency = concurrency;
    if (mode === 'backfill' || mode === 'retry-dead-letters') {
      const refused = backfillAllowed(resolved.phase);
      if (refused) return problem(io, refused);
    }

    let store: VectorStore;
    try {
      store = await openVectorDatabase(vectorStoreOptionsFromEnv(root, io.env, database));
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'E_STORE_OPEN';
      io.stderr(`switchyard migrate embeddings: ${code} ${(error as Error).message}`);
      return 1;
    }
    try {
      switch (mode) {
        case 'backfill':
        case 'retry-dead-letters':
          return await backfill(io, store, resolved, { retryDeadLetters: mode === 'retry-dead-letters', baseUrl: values['base-url'], quiet: values.quiet, json: format === 'json' });
        case 'verify':
          return await verify(io, store, resolved, values['base-url'], format === 'json');
        case 'advance':
          return await advance(io, store, resolved, root, format === 'json');
        case 'cleanup': {
          const committed = resolved.phase === 'complete' ? await committedPlan(root, id, values.env, values.ref ?? 'main') : { code: 'E_MIGRATE_PHASE', message: 'not complete' };
          const result = await cleanupOldIndex(store, resolved, committed);
          if ('code' in result) return problem(io, result);
          io.stdout(
            format === 'json'
              ? JSON.stringify(result)
              : `retired the old index '${result.index}' (${result.dropped ? 'dropped' : 'already dropped'}; recorded as retired, so no instance re-creates it) — the plan is complete at '${result.ref}'`,
          );
          return 0;
        }
        case 'status':
          return await status(io, store, resolved, format === 'json');
      }
    } finally {
      await store.close();
    }
  },
};

async function backfill(
  io: CommandIo,
  store: VectorStore,
  resolved: ResolvedPlan,
  options: { retryDeadLetters: boolean; baseUrl: string | undefined; quiet: boolean; json: boolean },
): Promise<number> {
  const endpoint = await openEmbeddingEndpoint(io.env, options.baseUrl);
  const embedder = createEmbedder({ baseURL: endpoint.baseUrl, apiKey: endpoint.apiKey });
  const tty = process.stderr.isTTY === true;
  const progress = createProgressReporter({
    label: `${resolved.plan.migration} → ${resolved.plan.to.index}`,
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
      plan: resolved.plan,
      settings: resolved.backfill,
      retryDeadLetters: options.retryDeadLetters,
      signal: abort.signal,
      onProgress: (p) => progress.update(p.done, p.total, { 'dead letters': p.deadLetters, retries: p.retries, stage: p.stage }, p.resumed),
    });
    progress.finish();
    io.stdout(options.json ? JSON.stringify(report, null, 2) : renderBackfill(report));
    if (report.status === 'complete' && !options.json && !options.retryDeadLetters) {
      io.stderr(`next: switchyard migrate embeddings ${resolved.plan.migration}${resolved.env ? ` --env ${resolved.env}` : ''} --verify`);
    }
    return report.status === 'complete' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    await endpoint.close();
  }
}

async function verify(io: CommandIo, store: VectorStore, resolved: ResolvedPlan, baseUrl: string | undefined, json: boolean): Promise<number> {
  const endpoint = await openEmbeddingEndpoint(io.env, baseUrl);
  try {
    const embedder = createEmbedder({ baseURL: endpoint.baseUrl, apiKey: endpoint.apiKey, maxRetries: 3 });
    const report = await storeVerification(store, await verifyMigration({ store, embedder, plan: resolved.plan, settings: resolved.verify, env: resolved.envKey, phase: resolved.phase }));
    io.stdout(json ? JSON.stringify(report, null, 2) : renderVerify(report));
    return report.passed ? 0 : 1;
  } finally {
    await endpoint.close();
  }
}

async function advance(io: CommandIo, store: VectorStore, resolved: ResolvedPlan, root: string, json: boolean): Promise<number> {
  const decision = await decideAdvance(store, resolved);
  if ('code' in decision) return problem(io, decision);
  const file = `rollouts/${resolved.plan.migration}.yaml`;
  const path = join(root, file);
  const edited = editPhase(await readFile(path, 'utf8'), decision, file);
  if ('code' in edited) return problem(io, edited);
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
  const s = `"${store.schema}"`;
  const deadLetters = await store.client.query<{ doc_id: string; version: string; code: string; message: string; attempts: number }>(
    `SELECT doc_id, version, code, message, attempts FROM ${s}.migration_dead_letters WHERE migration = $1 AND target_index = $2 ORDER BY doc_id LIMIT 50`,
    [plan.migration, plan.to.index],
  );
  const verification = await latestVerification(store, plan.migration, resolved.envKey);
  const indexes = await store.listIndexes();
  const counts = await Promise.all(indexes.map(async (i) => ({ ...i, vectors: await store.countEmbeddings(i.index) })));
  const result = { migration: plan.migration, env: resolved.envKey, phase: resolved.phase, documents: await store.countDocuments(), indexes: counts, checkpoint, deadLetters, verification };
  if (json) {
    io.stdout(JSON.stringify(result, null, 2));
    return 0;
  }
  const lines = [`${plan.migration} (${resolved.envKey}): phase ${resolved.phase}; ${result.documents} documents; store ${store.backend} (${store.vectorType})`];
  for (const i of counts) lines.push(`  index ${i.index}: ${i.model}, ${i.dimension} dims, ${i.vectors} vectors`);
  lines.push(checkpoint ? `  checkpoint: ${checkpoint.status}, last id '${checkpoint.lastDocId ?? ''}', ${checkpoint.embedded} embedded, ${checkpoint.batches} batches, ${checkpoint.runs} run(s)` : '  checkpoint: none (backfill never ran)');
  lines.push(`  dead letters: ${deadLetters.length}${deadLetters.length === 50 ? '+' : ''}`);
  for (const d of deadLetters) lines.push(`    ${d.doc_id} v${d.version}: ${d.code} ${d.message} (${d.attempts} attempt(s))`);
  lines.push(verification ? `  latest verification #${verification.id} (${verification.createdAt}): ${verification.passed ? 'passed' : 'failed'}` : '  latest verification: none');
  io.stdout(lines.join('\n'));
  return 0;
}
