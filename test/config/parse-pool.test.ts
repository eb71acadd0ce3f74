import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { generateRepo } from '../../bench/validate/generate.ts';
import {
  DirectorySource,
  GitRefSource,
  LIMITS,
  loadFromSource,
  loadProject,
  PoolStarter,
} from '../../src/config/index.ts';
import { ParsePool, POOL_THRESHOLD } from '../../src/config/parse-pool.ts';
import { readResources } from '../../src/config/read-resources.ts';
import { parseYamlText } from '../../src/config/yaml-parse.ts';
import { commitAll, CORPUS, tempRepo } from './helpers.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/switchyard.mjs');

const names = (await readdir(CORPUS)).filter((name) => name !== '_base').sort();

describe('parse workers', () => {
  const pool = new ParsePool(LIMITS.maxAliasCount, { size: 2 });
  afterAll(() => pool.close());

  it('give every corpus case the same diagnostics and data as parsing in the loader thread', async () => {
    for (const name of names) {
      const repo = await tempRepo();
      try {
        await cp(join(CORPUS, name, 'files'), repo.dir, { recursive: true });
        const c = JSON.parse(await readFile(join(CORPUS, name, 'case.json'), 'utf8')) as { remove?: string[] };
        for (const path of c.remove ?? []) await rm(join(repo.dir, path));
        const files = await new DirectorySource(repo.dir).readAll();
        const inThread = await readResources(files);
        const inWorkers = await readResources(files, LIMITS, pool);
        expect(inWorkers.errors, name).toEqual(inThread.errors);
        expect(inWorkers.warnings, name).toEqual(inThread.warnings);
        expect(
          inWorkers.resources.map((r) => [r.path, r.valid, r.data]),
          name,
        ).toEqual(inThread.resources.map((r) => [r.path, r.valid, r.data]));
      } finally {
        await repo.cleanup();
      }
    }
    // The answers really came from worker threads (the worker entry loads under vitest too).
    expect(pool.stats.workerBatches).toBeGreaterThanOrEqual(names.length);
    expect(pool.stats.threadBatches).toBe(0);
  });

  it('carry values JSON cannot (NaN, Infinity, -0) and own __proto__ keys across unchanged', async () => {
    const texts = [
      'a: .nan\nb: -.inf\nc: -0.0\nd: 12345678901234567890\n',
      '__proto__:\n  polluted: true\nconstructor: 1\n',
      '',
      '- a\n- b\n',
      'x: !!binary aGVsbG8=\n',
      'k: [1, 2\n',
    ];
    const batches = pool.parseAll(texts);
    const results = await batches.get(0);
    expect(results).toEqual(texts.map((text) => parseYamlText(text, LIMITS.maxAliasCount)));
    const numbers = results[0]?.data as Record<string, number>;
    expect(Number.isNaN(numbers.a)).toBe(true);
    expect(numbers.b).toBe(-Infinity);
    expect(Object.is(numbers.c, -0)).toBe(true);
    const proto = results[1]?.data as object;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(results[4]?.problems).toEqual([expect.objectContaining({ code: 'E_YAML_TAG', pointer: '/x' })]);
  });

  it('fall back to the loader thread when a worker cannot start', async () => {
    const texts = ['a: 1\n', 'a: [1, 2\n', 'b: &x 1\nc: *x\n'];
    const broken = new ParsePool(LIMITS.maxAliasCount, {
      size: 2,
      entry: new URL('./no-such-worker.mjs', import.meta.url),
    });
    try {
      const batches = broken.parseAll(texts);
      const results = await batches.get(0);
      expect(results).toEqual(texts.map((text) => parseYamlText(text, LIMITS.maxAliasCount)));
      expect(results[1]?.problems[0]?.code).toBe('E_YAML_SYNTAX');
      expect(broken.stats).toEqual({ workerBatches: 0, threadBatches: 1 });
    } finally {
      broken.close();
    }
  });

  it('fall back to the loader thread when a worker dies while parsing', async () => {
    const dies = new URL(
      `data:text/javascript,${encodeURIComponent("import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => process.exit(3));")}`,
    );
    const texts = Array.from({ length: 120 }, (_, i) => `key${i}: ${i}\n`);
    const dying = new ParsePool(LIMITS.maxAliasCount, { size: 2, entry: dies });
    try {
      const batches = dying.parseAll(texts);
      const results = (await Promise.all([0, 1, 2].map((i) => batches.get(i)))).flat();
      expect(results.map((r) => r.data)).toEqual(texts.map((_, i) => ({ [`key${i}`]: i })));
      expect(dying.stats.workerBatches).toBe(0);
      expect(dying.stats.threadBatches).toBe(3);
    } finally {
      dying.close();
    }
  });
});

describe('a repository large enough for parse workers', () => {
  let dir = '';
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reports errors at the same positions, through loadProject and the CLI', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-pool-'));
    const count = await generateRepo(dir, POOL_THRESHOLD + 100);
    expect(count).toBeGreaterThan(POOL_THRESHOLD);
    await writeFile(
      join(dir, 'models/m3.yaml'),
      '# yaml-language-server: $schema=../schemas/model.schema.json\nalias: m3\nalias: again\n',
    );
    await writeFile(
      join(dir, 'rollouts/f8.yaml'),
      '# yaml-language-server: $schema=../schemas/flag.schema.json\nkind: Flag\nflag: f8\npercent: 5\nstages: [1, 5, 25, 100]\nkiled: false\nunit: userId\n',
    );
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    await writeFile(join(dir, 'rollouts/bomb.yaml'), `${lines.join('\n')}\n`);
    await writeFile(join(dir, 'rollouts/deep.yaml'), `a: ${'['.repeat(500)}${']'.repeat(500)}\n`);

    const result = await loadProject(dir);
    const found = result.errors.map((d) => `${d.file}:${d.line}:${d.col} ${d.code}`);
    expect(found).toEqual([
      'models/m3.yaml:3:1 E_YAML_DUPLICATE_KEY',
      'rollouts/bomb.yaml:1:1 E_YAML_ALIAS_LIMIT',
      'rollouts/deep.yaml:1:67 E_YAML_TOO_DEEP',
      'rollouts/f8.yaml:2:1 E_MISSING_KEY',
      'rollouts/f8.yaml:6:1 E_UNKNOWN_KEY',
    ]);

    const cli = await run(process.execPath, [BIN, 'validate', dir], { cwd: tmpdir() }).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => error,
    );
    expect(cli.code).toBe(1);
    for (const line of found) expect(cli.stdout).toContain(line.split(' ')[0]);
  });
});

describe('--base on a large repository', () => {
  let dir = '';
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('applies the history rules, with one set of workers shared by both loads', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-pool-base-'));
    await generateRepo(dir, POOL_THRESHOLD + 50);
    commitAll(dir, 'base');
    const flag = join(dir, 'rollouts/f3.yaml');
    await writeFile(flag, (await readFile(flag, 'utf8')).replace('percent: 5\n', 'percent: 100\n'));

    const result = await loadProject(dir, { base: 'HEAD' });
    expect(result.errors.map((d) => `${d.file}:${d.line}:${d.col} ${d.code}`)).toEqual([
      'rollouts/f3.yaml:4:10 E_STAGE_SKIP',
    ]);

    const workers = new PoolStarter(LIMITS.maxAliasCount);
    try {
      const head = await loadFromSource(new DirectorySource(dir), LIMITS, workers);
      const started = workers.current;
      const base = await loadFromSource(new GitRefSource(dir, 'HEAD'), LIMITS, workers);
      expect(started).toBeDefined();
      expect(workers.current).toBe(started);
      expect(head.project?.files.size).toBe(base.project?.files.size);
      expect(started?.stats.workerBatches).toBeGreaterThan(0);
    } finally {
      workers.close();
    }
  });
});

describe('duplicate keys', () => {
  it('names the repeated key, plain or quoted, nested or not', () => {
    const messages = (text: string) => parseYamlText(text, LIMITS.maxAliasCount).problems.map((p) => p.message);
    expect(messages('a: 1\nb:\n  c: 2\n  c: 3\n')).toEqual([expect.stringContaining("duplicate key 'c'")]);
    expect(messages('"x y": 1\n"x y": 2\n')).toEqual([expect.stringContaining("duplicate key 'x y'")]);
    expect(messages("k: 1\n'k': 2\n")).toEqual([expect.stringContaining("duplicate key 'k'")]);
  });
});
