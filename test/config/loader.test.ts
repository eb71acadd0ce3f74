import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS, loadProject, loadProjectAtRef } from '../../src/config/index.ts';
import {
  commitTimestamp,
  firstParentCount,
  headCommit,
  isGitRepo,
  listFilesAtRef,
  readFileAtRef,
  resolveRef,
} from '../../src/git/index.ts';
import { commitAll, git, tempRepo } from './helpers.ts';

const REPO = join(import.meta.dirname, '..', '..');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
async function repo(): Promise<string> {
  const r = await tempRepo();
  cleanups.push(r.cleanup);
  return r.dir;
}

describe('demo organisation', () => {
  it('validates clean and covers every scenario of the article', async () => {
    const result = await loadProject(REPO);
    expect(result.errors).toEqual([]);
    const project = result.value!;
    const chat = project.models.get('chat')!;
    expect(chat.snapshot).toBe('gpt-4o-2024-05-13');
    const rollouts = [...project.rollouts.values()];
    const modelRollout = rollouts.find((r) => r.kind === 'ModelRollout');
    expect(modelRollout).toMatchObject({
      model: 'chat',
      to: 'gpt-4o-2024-08-06',
      shadow: { dataset: expect.any(String) },
    });
    expect((modelRollout as { percent: number }).percent).toBeLessThan(100);
    const summarization = project.prompts.get('summarization')!;
    expect(summarization.get(1)?.status).toBe('active');
    expect(summarization.get(2)?.status).toBe('draft');
    expect(summarization.get(2)?.tests.cases.length).toBeGreaterThan(0);
    const experiment = [...project.experiments.values()].find((e) => e.prompt === 'summarization')!;
    expect(
      Object.values(experiment.variants)
        .map((v) => v.version)
        .sort(),
    ).toEqual([1, 2]);
    expect(rollouts.find((r) => r.kind === 'Canary')).toMatchObject({ percent: 10 });
    expect(rollouts.find((r) => r.kind === 'EmbeddingMigration')).toMatchObject({
      from: { model: 'text-embedding-3-small' },
      to: { model: 'text-embedding-3-large' },
    });
    expect(rollouts.find((r) => r.kind === 'SchemaMigration')).toMatchObject({ entity: 'conversation' });
  });
});

describe('file sources', () => {
  it('the working tree and a git ref of the same content load to the same project', async () => {
    const dir = await repo();
    const sha = commitAll(dir, 'base');
    const fromTree = await loadProject(dir);
    const fromRef = await loadProjectAtRef(dir, sha);
    expect(fromRef.errors).toEqual([]);
    // The same project, except that it knows which commit it was read from (for `file://` reads).
    expect(fromRef.value!.commit).toBe(sha);
    expect({ ...fromRef.value!, commit: undefined }).toEqual(fromTree.value);
  });

  it("reads a ref without touching the working tree, and sees that ref's content", async () => {
    const dir = await repo();
    commitAll(dir, 'base');
    const flag = join(dir, 'rollouts/new-onboarding-tips.yaml');
    const edited = (await readFile(flag, 'utf8')).replace('percent: 25', 'percent: 5');
    await writeFile(flag, edited);
    const atHead = await loadProjectAtRef(dir, 'HEAD');
    expect((atHead.value!.rollouts.get('new-onboarding-tips') as { percent: number }).percent).toBe(25);
    expect(await readFile(flag, 'utf8')).toBe(edited);
    expect(git(dir, 'status', '--porcelain')).toContain('rollouts/new-onboarding-tips.yaml');
  });

  it('reports an unknown ref as a diagnostic, not a throw', async () => {
    const dir = await repo();
    commitAll(dir, 'base');
    const result = await loadProjectAtRef(dir, 'no-such-branch');
    expect(result.value).toBeUndefined();
    expect(result.errors.map((e) => e.code)).toEqual(['E_REF_UNREADABLE']);
    await expect(loadProjectAtRef(dir, '--output=/tmp/x')).resolves.toMatchObject({
      errors: [{ code: 'E_REF_UNREADABLE' }],
    });
  });

  it('refuses a committed symlink that escapes the repository', async () => {
    const dir = await repo();
    await symlink('../../../etc/passwd', join(dir, 'models/evil.yaml'));
    commitAll(dir, 'evil link');
    const fromRef = await loadProjectAtRef(dir, 'HEAD');
    expect(fromRef.errors).toContainEqual(
      expect.objectContaining({ code: 'E_SYMLINK_ESCAPE', file: 'models/evil.yaml' }),
    );
    const fromTree = await loadProject(dir);
    expect(fromTree.errors).toContainEqual(
      expect.objectContaining({ code: 'E_SYMLINK_ESCAPE', file: 'models/evil.yaml' }),
    );
  });
});

describe('hostile input', () => {
  it('refuses files over the size cap without reading them', async () => {
    const dir = await repo();
    await writeFile(join(dir, 'models/huge.yaml'), `alias: huge\ndescription: "${'x'.repeat(LIMITS.maxYamlBytes)}"\n`);
    const result = await loadProject(dir);
    expect(result.errors).toContainEqual(
      expect.objectContaining({ code: 'E_FILE_TOO_LARGE', file: 'models/huge.yaml' }),
    );
  });

  it('stays fast on a maximal-size nesting attack and a 256 KB alias bomb', async () => {
    const dir = await repo();
    const depth = LIMITS.maxYamlBytes / 2 - 10;
    await writeFile(join(dir, 'rollouts/deep.yaml'), `a: ${'['.repeat(depth)}${']'.repeat(depth)}\n`);
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 40; i++)
      lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    await writeFile(join(dir, 'rollouts/bomb.yaml'), `${lines.join('\n')}\n`);
    const started = performance.now();
    const result = await loadProject(dir);
    // A guard against pathological (exponential) parsing, not a speed target: generous for busy CI machines.
    expect(performance.now() - started).toBeLessThan(30_000);
    const codes = result.errors.map((e) => `${e.file} ${e.code}`);
    expect(codes).toContain('rollouts/deep.yaml E_YAML_TOO_DEEP');
    expect(codes).toContain('rollouts/bomb.yaml E_YAML_ALIAS_LIMIT');
  });

  it('refuses a directory symlink and a symlink to a file outside the repository', async () => {
    const dir = await repo();
    await mkdir(join(dir, 'elsewhere'));
    await symlink(join(dir, 'elsewhere'), join(dir, 'datasets/linked'));
    await symlink('/etc/hostname', join(dir, 'models/host.yaml'));
    const result = await loadProject(dir);
    expect(result.errors).toContainEqual(
      expect.objectContaining({ code: 'E_SYMLINK_UNSUPPORTED', file: 'datasets/linked' }),
    );
    expect(result.errors).toContainEqual(
      expect.objectContaining({ code: 'E_SYMLINK_ESCAPE', file: 'models/host.yaml' }),
    );
  });

  it('follows a symlink to a file inside the repository', async () => {
    const dir = await repo();
    await writeFile(
      join(dir, 'shared-flag.yaml'),
      (await readFile(join(dir, 'rollouts/new-onboarding-tips.yaml'), 'utf8')).replace(
        'flag: new-onboarding-tips',
        'flag: linked-flag',
      ),
    );
    await symlink('../shared-flag.yaml', join(dir, 'rollouts/linked-flag.yaml'));
    const result = await loadProject(dir);
    expect(result.errors).toEqual([]);
    expect(result.value!.rollouts.has('linked-flag')).toBe(true);
  });

  it('handles a prototype-pollution key as plain data', async () => {
    const dir = await repo();
    const path = join(dir, 'models/chat.yaml');
    await writeFile(path, `${await readFile(path, 'utf8')}__proto__:\n  polluted: true\n`);
    const result = await loadProject(dir);
    expect(result.errors).toContainEqual(
      expect.objectContaining({ code: 'E_UNKNOWN_KEY', file: 'models/chat.yaml', line: 15, col: 1 }),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('git wrappers', () => {
  it('resolve refs, list and read files, count commits and read timestamps', async () => {
    const dir = await repo();
    const first = commitAll(dir, 'one');
    await writeFile(join(dir, 'models/extra.txt'), 'hello\n');
    const second = commitAll(dir, 'two');
    expect(await isGitRepo(dir)).toBe(true);
    expect(await headCommit(dir)).toBe(second);
    expect(await resolveRef(dir, 'HEAD~1')).toBe(first);
    expect(await firstParentCount(dir)).toBe(2);
    const ts = await commitTimestamp(dir, first);
    expect(Math.abs(ts - Date.now())).toBeLessThan(120_000);
    const files = await listFilesAtRef(dir, first);
    expect(files.map((f) => f.path)).toContain('prompts/summarization/v2.yaml');
    expect(files.map((f) => f.path)).not.toContain('models/extra.txt');
    expect((await readFileAtRef(dir, second, 'models/extra.txt')).toString()).toBe('hello\n');
    await expect(resolveRef(dir, 'nope')).rejects.toMatchObject({ code: 'E_GIT_UNKNOWN_REF' });
    await expect(resolveRef(dir, '-x')).rejects.toMatchObject({ code: 'E_GIT_BAD_REF' });
    expect(await isGitRepo(join(dir, '..'))).toBe(false);
  });
});
