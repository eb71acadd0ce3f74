import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject, loadProjectAtRef } from '../../src/config/index.ts';
import { GitTreeReader, resolveInTree, WorkingTreeReader, type TreeLookup } from '../../src/config/repo-reader.ts';
import { parseTestsFile } from '../../src/config/tests-file.ts';
import type { TreeEntry } from '../../src/git/index.ts';
import { commitAll, tempRepo } from './helpers.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
async function repo(): Promise<string> {
  const r = await tempRepo();
  cleanups.push(r.cleanup);
  return r.dir;
}

const V1 = 'prompts/summarization/v1.yaml';
const CASES_YAML = `# cases of summarization v1
- description: refund request keeps the key facts
  vars:
    ticket: I was charged twice and would like a refund.
  assert:
    - type: icontains
      value: refund
- description: password reset
  vars:
    ticket: The password reset email never arrives.
  assert:
    - type: icontains
      value: password reset
`;

/** Points summarization v1's cases at `ref` and writes `files` (repository-relative). */
async function useCasesFile(dir: string, ref: string, files: Record<string, string> = {}): Promise<void> {
  const text = await readFile(join(dir, V1), 'utf8');
  const head = text.slice(0, text.indexOf('  cases:'));
  await writeFile(join(dir, V1), `${head}  cases: ${ref}\n`);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/** 1-based line of the `cases:` key in summarization v1. */
async function casesLine(dir: string): Promise<number> {
  const lines = (await readFile(join(dir, V1), 'utf8')).split('\n');
  return lines.findIndex((l) => l.startsWith('  cases:')) + 1;
}

describe('tests.cases: file://…', () => {
  it('loads the cases of a YAML list into the version', async () => {
    const dir = await repo();
    await useCasesFile(dir, 'file://tests/summarization.yaml', { 'tests/summarization.yaml': CASES_YAML });
    const loaded = await loadProject(dir);
    expect(loaded.errors).toEqual([]);
    const cases = loaded.value!.prompts.get('summarization')!.get(1)!.tests.cases;
    expect(cases.map((c) => c.description)).toEqual(['refund request keeps the key facts', 'password reset']);
    expect(cases[0]!.vars.ticket).toBe('I was charged twice and would like a refund.');
  });

  it('accepts a cases file next to the versions it serves (not a misplaced resource)', async () => {
    const dir = await repo();
    await useCasesFile(dir, 'file://prompts/summarization/cases.yaml', {
      'prompts/summarization/cases.yaml': CASES_YAML,
      'prompts/summarization/stray.yaml': CASES_YAML,
    });
    const loaded = await loadProject(dir);
    expect(loaded.errors).toEqual([
      expect.objectContaining({ code: 'E_BAD_PATH', file: 'prompts/summarization/stray.yaml' }),
    ]);
    expect(loaded.value!.prompts.get('summarization')!.get(1)!.tests.cases).toHaveLength(2);
  });

  it('reads JSON and JSON Lines lists too', async () => {
    const dir = await repo();
    const rows = [
      { vars: { ticket: 'a' }, assert: [{ type: 'contains', value: 'a' }] },
      { vars: { ticket: 'b' }, assert: [{ type: 'contains', value: 'b' }] },
    ];
    await useCasesFile(dir, 'file://tests/cases.jsonl', {
      'tests/cases.jsonl': `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`,
    });
    const jsonl = await loadProject(dir);
    expect(jsonl.errors).toEqual([]);
    expect(jsonl.value!.prompts.get('summarization')!.get(1)!.tests.cases).toEqual(rows);
    await useCasesFile(dir, 'file://tests/cases.json', { 'tests/cases.json': JSON.stringify(rows, null, 2) });
    const json = await loadProject(dir);
    expect(json.errors).toEqual([]);
    expect(json.value!.prompts.get('summarization')!.get(1)!.tests.cases).toEqual(rows);
  });

  it('checks each case against the case schema, at line:col of the referenced file', async () => {
    const dir = await repo();
    const bad = CASES_YAML.replace('  assert:\n    - type: icontains\n      value: refund', '  asert: []');
    await useCasesFile(dir, 'file://tests/summarization.yaml', { 'tests/summarization.yaml': bad });
    const loaded = await loadProject(dir);
    const unknown = loaded.errors.find((e) => e.code === 'E_UNKNOWN_KEY');
    expect(unknown).toMatchObject({ file: 'tests/summarization.yaml', line: 5, col: 3 });
    // The version is not used: it has no cases, and the load has errors.
    expect(loaded.value!.prompts.get('summarization')!.get(1)!.tests.cases).toEqual([]);
  });

  it('points the checks of loaded cases (undeclared variables) into the referenced file', async () => {
    const dir = await repo();
    const bad = CASES_YAML.replace('    ticket: The password', '    ticke: x\n    ticket: The password');
    await useCasesFile(dir, 'file://tests/summarization.yaml', { 'tests/summarization.yaml': bad });
    const loaded = await loadProject(dir);
    expect(loaded.errors.find((e) => e.code === 'E_UNDECLARED_VAR')).toMatchObject({
      file: 'tests/summarization.yaml',
      line: 10,
      col: 5,
    });
  });

  it('refuses absolute paths and .. escapes at the reference, with its line:col', async () => {
    for (const ref of ['file:///etc/passwd', 'file://../outside.yaml', 'file://tests/../../outside.yaml']) {
      const dir = await repo();
      await useCasesFile(dir, ref);
      const loaded = await loadProject(dir);
      expect(loaded.errors, ref).toEqual([
        expect.objectContaining({ code: 'E_FILE_REF_OUTSIDE', file: V1, line: await casesLine(dir), col: 10 }),
      ]);
    }
  });

  it('refuses a symbolic link that leads outside the repository, and names a missing file', async () => {
    const dir = await repo();
    const outside = await mkdtemp(join(tmpdir(), 'switchyard-outside-'));
    cleanups.push(() => rm(outside, { recursive: true, force: true }));
    await writeFile(join(outside, 'cases.yaml'), CASES_YAML);
    await mkdir(join(dir, 'tests'));
    await symlink(join(outside, 'cases.yaml'), join(dir, 'tests', 'linked.yaml'));
    await useCasesFile(dir, 'file://tests/linked.yaml');
    const linked = await loadProject(dir);
    expect(linked.errors).toEqual([expect.objectContaining({ code: 'E_FILE_REF_OUTSIDE', file: V1 })]);
    await useCasesFile(dir, 'file://tests/missing.yaml');
    const missing = await loadProject(dir);
    expect(missing.errors).toEqual([
      expect.objectContaining({ code: 'E_FILE_REF_UNREADABLE', file: V1, line: await casesLine(dir) }),
    ]);
  });

  it('refuses a file that is not a list of cases, and CSV', async () => {
    const dir = await repo();
    await useCasesFile(dir, 'file://tests/cases.yaml', { 'tests/cases.yaml': 'vars: {}\n' });
    expect((await loadProject(dir)).errors).toEqual([
      expect.objectContaining({ code: 'E_TESTS_FILE', file: 'tests/cases.yaml' }),
    ]);
    await useCasesFile(dir, 'file://tests/cases.csv', { 'tests/cases.csv': 'ticket,__expected\na,contains:a\n' });
    expect((await loadProject(dir)).errors).toEqual([
      expect.objectContaining({ code: 'E_TESTS_FILE', file: 'tests/cases.csv' }),
    ]);
  });

  it('reads the file from the commit when loading a ref, not from the working tree', async () => {
    const dir = await repo();
    await useCasesFile(dir, 'file://tests/summarization.yaml', { 'tests/summarization.yaml': CASES_YAML });
    const sha = commitAll(dir, 'base');
    await writeFile(
      join(dir, 'tests/summarization.yaml'),
      CASES_YAML.replace('value: password reset', 'value: reset link'),
    );
    const base = await loadProjectAtRef(dir, sha);
    const head = await loadProject(dir, { base: sha });
    expect(base.errors).toEqual([]);
    expect(base.value!.commit).toBe(sha);
    expect(head.value!.commit).toBeUndefined();
    const last = (p: typeof base) => p.value!.prompts.get('summarization')!.get(1)!.tests.cases[1]!.assert;
    expect(last(base)).toEqual([{ type: 'icontains', value: 'password reset' }]);
    expect(last(head)).toEqual([{ type: 'icontains', value: 'reset link' }]);
    // The file is part of the version: editing it edits an active version.
    expect(head.errors.map((e) => e.code)).toEqual(['E_IMMUTABLE_VERSION']);
  });
});

describe('repository readers', () => {
  it('the git reader follows links inside the commit and refuses those leading out', async () => {
    const dir = await repo();
    await mkdir(join(dir, 'fixtures/deep'), { recursive: true });
    await writeFile(join(dir, 'fixtures/deep/a.json'), '{"a":1}');
    await symlink('deep', join(dir, 'fixtures/dir-link'));
    await symlink('../../fixtures/deep/a.json', join(dir, 'fixtures/deep/self.json'));
    await symlink('../../../etc/passwd', join(dir, 'fixtures/out.json'));
    await symlink('/etc/passwd', join(dir, 'fixtures/abs.json'));
    const sha = commitAll(dir, 'links');
    await writeFile(join(dir, 'fixtures/deep/a.json'), '{"a":2}');
    const git = new GitTreeReader(dir, sha);
    const tree = new WorkingTreeReader(dir);
    expect(await git.read('fixtures/dir-link/a.json')).toEqual({ ok: true, text: '{"a":1}' });
    expect(await git.read('fixtures/deep/self.json')).toEqual({ ok: true, text: '{"a":1}' });
    expect(await tree.read('fixtures/dir-link/a.json')).toEqual({ ok: true, text: '{"a":2}' });
    for (const path of ['fixtures/out.json', 'fixtures/abs.json', '../x', '/etc/passwd']) {
      expect((await git.read(path)) as { code?: string }, path).toMatchObject({
        ok: false,
        code: 'E_FILE_REF_OUTSIDE',
      });
      expect((await tree.read(path)) as { code?: string }, path).toMatchObject({
        ok: false,
        code: 'E_FILE_REF_OUTSIDE',
      });
    }
    expect(await git.read('fixtures/none.json')).toMatchObject({ ok: false, code: 'E_FILE_REF_UNREADABLE' });
    expect(await git.read('fixtures/deep')).toMatchObject({ ok: false, code: 'E_FILE_REF_UNREADABLE' });
  });

  it('the git reader reads a project in a subdirectory of its git repository', async () => {
    const top = await mkdtemp(join(tmpdir(), 'switchyard-top-'));
    cleanups.push(() => rm(top, { recursive: true, force: true }));
    await mkdir(join(top, 'config/fixtures'), { recursive: true });
    await writeFile(join(top, 'config/fixtures/a.json'), '{"a":1}');
    await writeFile(join(top, 'secret.txt'), 'outside the project');
    await symlink('../../secret.txt', join(top, 'config/fixtures/up.txt'));
    const sha = commitAll(top, 'nested');
    const git = new GitTreeReader(join(top, 'config'), sha);
    expect(await git.read('fixtures/a.json')).toEqual({ ok: true, text: '{"a":1}' });
    // Inside the git repository but outside the project root: refused, as in the working tree.
    expect(await git.read('fixtures/up.txt')).toMatchObject({ ok: false, code: 'E_FILE_REF_OUTSIDE' });
    expect(await new WorkingTreeReader(join(top, 'config')).read('fixtures/up.txt')).toMatchObject({
      ok: false,
      code: 'E_FILE_REF_OUTSIDE',
    });
  });

  it('resolveInTree walks links component by component and stops at the root', async () => {
    const entry = (path: string, mode = '100644', type: TreeEntry['type'] = 'blob'): TreeEntry => ({
      path,
      mode,
      type,
      sha: path,
      size: 1,
    });
    const dirs: Record<string, TreeEntry[]> = {
      '': [entry('a', '040000', 'tree'), entry('up', '120000'), entry('loop', '120000')],
      a: [entry('b.txt'), entry('sib', '120000')],
    };
    const links: Record<string, string> = { up: 'a/../..', sib: './b.txt', loop: 'loop' };
    const lookup: TreeLookup = {
      list: async (dir) => dirs[dir],
      linkTarget: async (e) => links[e.path] ?? '',
    };
    expect(await resolveInTree('a/sib', lookup, 'test')).toMatchObject({ ok: true, entry: { path: 'b.txt' } });
    expect(await resolveInTree('up/x', lookup, 'test')).toMatchObject({ ok: false, code: 'E_FILE_REF_OUTSIDE' });
    expect(await resolveInTree('loop', lookup, 'test')).toMatchObject({ ok: false, code: 'E_FILE_REF_UNREADABLE' });
    expect(await resolveInTree('a/b.txt/c', lookup, 'test')).toMatchObject({
      ok: false,
      code: 'E_FILE_REF_UNREADABLE',
    });
  });

  it('parseTestsFile gives a JSON Lines error the line it is on', () => {
    const parsed = parseTestsFile('t.jsonl', '{"vars":{}}\n\n{oops\n');
    expect(parsed).toMatchObject({ problems: [{ code: 'E_TESTS_FILE', file: 't.jsonl', line: 3 }] });
  });
});
