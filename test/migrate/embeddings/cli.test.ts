import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { startModelServer } from '../../../src/eval/offline/server.ts';
import { runBackfill } from '../../../src/migrate/embeddings/index.ts';
import { errorProblem } from '../../../src/cli/commands/migrate-embeddings.ts';
import { defaultStoreDir } from '@switchyard/data';
import { openVectorDatabase, VectorError } from '@switchyard/data';
import { createEmbedder } from '../../../src/migrate/embeddings/embedder.ts';
import { FROM, SETTINGS, seedDocuments, testPlan } from './corpus.ts';
import { MIGRATION, writeProject } from './project.ts';

/** Runs the CLI in-process on the embedded PGlite default of `root`, offline (no API key). */
async function run(root: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['migrate', 'embeddings', MIGRATION, '--root', root, '--quiet', ...args], {
    stdout: (t) => (stdout += `${t}\n`),
    stderr: (t) => (stderr += `${t}\n`),
    cwd: root,
    env: { PATH: process.env.PATH },
  });
  return { code, stdout, stderr };
}

function git(cwd: string, ...args: string[]): void {
  execFileSync(
    'git',
    ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args],
    { cwd, stdio: 'pipe' },
  );
}

const phaseOf = (root: string) =>
  /^phase: (\S+)/m.exec(readFileSync(join(root, 'rollouts', `${MIGRATION}.yaml`), 'utf8'))![1];

describe('switchyard migrate embeddings (CLI, embedded PGlite default, offline embeddings)', () => {
  let root: string;
  beforeAll(async () => {
    root = writeProject({ phase: 'dual-write', staging: 'backfill' });
    // A git repository whose main holds the plan as published (cleanup checks the committed phase).
    writeFileSync(join(root, '.gitignore'), '.switchyard/\n');
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '.');
    git(root, 'commit', '-qm', 'plan');
    const server = await startModelServer();
    const store = await openVectorDatabase({ backend: 'pglite', dataDir: defaultStoreDir(root) });
    try {
      await seedDocuments(store, 300);
      const old = await runBackfill({
        store,
        embedder: createEmbedder({ baseURL: server.baseUrl, apiKey: 'k' }),
        plan: testPlan({ migration: 'build-old', to: FROM }),
        settings: { ...SETTINGS, batchSize: 300 },
      });
      expect(old.status).toBe('complete');
    } finally {
      await store.close();
      await server.close();
    }
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('walks the phases: refuses what the phase does not allow, backfills, verifies, advances one step at a time, cleans up', async () => {
    // dual-write: no backfill yet.
    const early = await run(root);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('E_MIGRATE_PHASE');

    // dual-write → backfill needs no data; the edit keeps the file's comments.
    const toBackfill = await run(root, '--advance');
    expect(toBackfill.code).toBe(0);
    expect(toBackfill.stdout).toContain('phase dual-write → backfill');
    expect(phaseOf(root)).toBe('backfill');
    expect(readFileSync(join(root, 'rollouts', `${MIGRATION}.yaml`), 'utf8')).toContain(
      'phase: backfill # the default environment',
    );

    // backfill → dual-read needs a completed backfill and a passed verification.
    expect((await run(root, '--advance')).stderr).toContain('E_MIGRATE_NOT_VERIFIED');
    const backfill = await run(root);
    expect(backfill.code).toBe(0);
    expect(backfill.stdout).toContain('backfill docs-embeddings-3-large → docs-large: complete');
    expect(backfill.stdout).toContain('300 embedded');
    expect((await run(root, '--advance')).stderr).toMatch(/E_MIGRATE_NOT_VERIFIED no verification stored/);

    const verify = await run(root, '--verify');
    expect(verify.stdout).toMatch(/PASSED — stored as #1/);
    expect(verify.stdout).toContain('✔ counts: 300 vectors for 300 documents − 0 dead letters; missing 0; stale 0');
    expect(verify.code).toBe(0);

    // Per environment: staging's own phase, and its own verifications.
    const staging = await run(root, '--env', 'staging', '--advance');
    expect(staging.stderr).toContain('E_MIGRATE_NOT_VERIFIED');
    const production = await run(root, '--env', 'production', '--advance');
    expect(production.stderr).toContain('E_MIGRATE_ADVANCE production has no phase override');

    expect((await run(root, '--advance')).code).toBe(0);
    expect(phaseOf(root)).toBe('dual-read');
    // --repair-old: the same runner into the old index, reconcile only (nothing to repair here).
    const repair = await run(root, '--repair-old');
    expect(repair.code).toBe(0);
    expect(repair.stdout).toContain('backfill docs-embeddings-3-large → docs-small: complete');
    expect(repair.stdout).toContain('0 embedded, 0 reconciled');
    expect((await run(root, '--cleanup')).stderr).toContain(
      "E_MIGRATE_PHASE the plan is in dual-read: the old index 'docs-small' is kept",
    );

    // The data did not change: the same verification lets the next steps through.
    expect((await run(root, '--advance')).code).toBe(0);
    expect((await run(root, '--advance')).code).toBe(0);
    expect(phaseOf(root)).toBe('complete');
    expect((await run(root, '--advance')).stderr).toContain('E_MIGRATE_PHASE the plan is already complete');
    const status = await run(root, '--status', '--format', 'json');
    expect(JSON.parse(status.stdout)).toMatchObject({
      phase: 'complete',
      documents: 300,
      checkpoint: { status: 'complete', embedded: 300 },
      deadLetters: [],
      outstandingDeadLetters: 0,
      verification: { passed: true },
    });
    // A verification that cannot run (nothing listens on port 9: the embeddings API is down) prints
    // a stable code, not "internal error", and is stored as failed.
    const down = await run(root, '--verify', '--base-url', 'http://127.0.0.1:9/v1');
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('switchyard migrate embeddings: E_EMBED_NETWORK verification could not run');
    expect(down.stderr).toContain('hint: check that the embeddings API is reachable');
    expect(down.stderr).not.toContain('internal error');
    expect(down.stdout).toMatch(/FAILED — stored as #\d+/);
    const failedStatus = JSON.parse((await run(root, '--status', '--format', 'json')).stdout) as {
      verification: { passed: boolean; checks: Array<{ name: string; detail: string }> };
    };
    expect(failedStatus.verification.passed).toBe(false);
    expect(failedStatus.verification.checks).toEqual([
      { name: 'error', passed: false, detail: expect.stringContaining('E_EMBED_NETWORK') },
    ]);

    // `complete` in the working tree is not enough: main (what was merged and published) still says dual-write.
    const unpublished = await run(root, '--cleanup');
    expect(unpublished.code).toBe(1);
    expect(unpublished.stderr).toContain(
      "E_MIGRATE_NOT_PUBLISHED the plan is complete in the working tree but dual-write at 'main'",
    );
    expect((await run(root, '--cleanup', '--ref', 'no-such-branch')).stderr).toContain(
      "E_MIGRATE_CLEANUP_REF cannot read the committed plan at 'no-such-branch'",
    );
    git(root, 'commit', '-qam', 'docs-embeddings-3-large: complete');
    const cleanup = await run(root, '--cleanup');
    expect(cleanup.code).toBe(0);
    expect(cleanup.stdout).toContain("retired the old index 'docs-small' (dropped;");
    const after = JSON.parse((await run(root, '--status', '--format', 'json')).stdout) as {
      indexes: Array<{ index: string }>;
    };
    expect(after.indexes.map((i) => i.index)).toEqual(['docs-large']);
    // An application instance still on the cutover route cannot re-create it.
    const store = await openVectorDatabase({ backend: 'pglite', dataDir: defaultStoreDir(root) });
    try {
      await expect(store.ensureIndex(FROM)).rejects.toMatchObject({ code: 'E_VECTOR_INDEX_RETIRED' });
    } finally {
      await store.close();
    }
  });

  it('reports a locked embedded database, an unknown migration and bad usage', async () => {
    const store = await openVectorDatabase({ backend: 'pglite', dataDir: defaultStoreDir(root) });
    try {
      const locked = await run(root, '--status');
      expect(locked.code).toBe(1);
      expect(locked.stderr).toContain('E_STORE_LOCKED');
    } finally {
      await store.close();
    }
    const unknown = await main(['migrate', 'embeddings', 'nope', '--root', root], {
      stdout: () => {},
      stderr: () => {},
      cwd: root,
      env: {},
    });
    expect(unknown).toBe(1);
    expect((await run(root, '--verify', '--advance')).code).toBe(2);
    expect((await run(root, '--batch-size', '0')).code).toBe(2);
    // An unknown environment is a usage error, as in `migrate conversations`.
    const env = await run(root, '--env', 'nowhere', '--status');
    expect(env.code).toBe(2);
    expect(env.stderr).toContain("unknown environment 'nowhere'");
  });

  it('maps errors without a code of ours to E_MIGRATE_STORE and keeps the library codes', () => {
    // A database error without a code of ours becomes E_MIGRATE_STORE.
    expect(
      errorProblem(Object.assign(new Error('relation "x" does not exist'), { code: '42P01' }), '--status failed'),
    ).toMatchObject({ code: 'E_MIGRATE_STORE', message: '--status failed: relation "x" does not exist' });
    expect(errorProblem(new VectorError('E_VECTOR_NO_INDEX', 'gone'), 'x').code).toBe('E_VECTOR_NO_INDEX');
  });

  it('--format json prints refusals as a JSON object with the code on stdout; the help says what --advance and --cleanup check', async () => {
    const refused = await run(root, '--advance', '--format', 'json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toEqual({
      error: {
        code: 'E_MIGRATE_PHASE',
        message: 'the plan is already complete',
        hint: 'drop the old index with --cleanup',
      },
    });
    const help = await run(root, '--help');
    expect(help.stdout).toContain('verify.maxAgeMinutes');
    expect(help.stdout).toContain('AND in\n                         the plan committed on --ref');
  });
});
