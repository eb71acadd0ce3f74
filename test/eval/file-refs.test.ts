import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/index.ts';
import { WorkingTreeReader } from '../../src/config/repo-reader.ts';
import type { JsonValue, Project, PromptVersion } from '../../src/config/types.ts';
import { buildCases, type CaseContext } from '../../src/eval/cases.ts';
import { fileRefsOf, loadFileRefs, projectFileRefs, resolveFileRefs } from '../../src/eval/file-refs.ts';
import { affectedTargets } from '../../src/eval/targets.ts';
import { tempRepo } from '../config/helpers.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const V1 = 'prompts/summarization/v1.yaml';
const context = (files: ReadonlyMap<string, JsonValue | Error>): CaseContext => ({
  endpointOf: () => 'offline',
  graderEndpoint: 'offline',
  graderModel: 'g',
  embeddingModel: 'e',
  evaluator: 'promptfoo@test',
  files,
});

/** The base fixture with summarization v1's first ticket read from fixtures/ticket.txt. */
async function project(ticket: string): Promise<{ dir: string; project: Project }> {
  const r = await tempRepo();
  cleanups.push(r.cleanup);
  const text = await readFile(join(r.dir, V1), 'utf8');
  await writeFile(
    join(r.dir, V1),
    text.replace(/ticket: I was charged twice[^\n]*/, 'ticket: file://fixtures/ticket.txt'),
  );
  await mkdir(join(r.dir, 'fixtures'));
  await writeFile(join(r.dir, 'fixtures/ticket.txt'), ticket);
  const loaded = await loadProject(r.dir);
  expect(loaded.errors).toEqual([]);
  return { dir: r.dir, project: loaded.value! };
}

const keysOf = async (p: { dir: string; project: Project }) => {
  const files = await loadFileRefs(new WorkingTreeReader(p.dir), projectFileRefs(p.project));
  const targets = affectedTargets(p.project, undefined).filter((t) => t.prompt === 'summarization' && t.version === 1);
  return { files, cases: buildCases(p.project, targets, context(files)) };
};

describe('file:// values in the eval', () => {
  it('reads them through the reader and puts their content in the case and its cache key', async () => {
    const a = await keysOf(await project('charged twice, refund please'));
    const same = await keysOf(await project('charged twice, refund please'));
    const other = await keysOf(await project('the app crashes'));
    expect(a.files.get('file://fixtures/ticket.txt')).toBe('charged twice, refund please');
    expect(a.cases[0]!.vars.ticket).toBe('charged twice, refund please');
    expect(a.cases[0]!.missing).toEqual([]);
    // Same content → same key (a cache hit); other content → another key; other cases untouched.
    expect(same.cases.map((c) => c.key)).toEqual(a.cases.map((c) => c.key));
    const changed = (c: { index: number }) => c.index === 0;
    expect(other.cases.filter(changed).every((c, i) => c.key !== a.cases.filter(changed)[i]!.key)).toBe(true);
    expect(other.cases.filter((c) => !changed(c)).map((c) => c.key)).toEqual(
      a.cases.filter((c) => !changed(c)).map((c) => c.key),
    );
  });

  it('turns an unreadable or escaping reference into a case that cannot run', async () => {
    const p = await project('x');
    const files = await loadFileRefs(new WorkingTreeReader(p.dir), ['file://fixtures/none.txt', 'file://../x.txt']);
    expect((files.get('file://fixtures/none.txt') as Error).message).toMatch(/no such file/);
    expect((files.get('file://../x.txt') as Error).message).toMatch(/outside the repository/);
    const targets = affectedTargets(p.project, undefined).filter((t) => t.id.startsWith('summarization@v1:'));
    const cases = buildCases(p.project, targets, context(files));
    expect(cases[0]!.missing).toEqual([expect.stringMatching(/^file:\/\/fixtures\/ticket.txt: not loaded/)]);
  });

  it('counts a version whose referenced file differs between the sides as changed', async () => {
    const base = await keysOf(await project('charged twice'));
    const head = await project('the app crashes');
    const headFiles = await loadFileRefs(new WorkingTreeReader(head.dir), projectFileRefs(head.project));
    const without = affectedTargets(head.project, head.project);
    expect(without).toEqual([]);
    const changed = affectedTargets(head.project, head.project, { head: headFiles, base: base.files });
    expect(changed.map((t) => [t.prompt, t.version, t.reasons])).toEqual([
      ['summarization', 1, ['a file its tests refer to (file://) changed']],
    ]);
  });
});

describe('every file:// field of a case reaches the key (one walker)', () => {
  it('collects and resolves references in vars, values, transforms, assertion sets and defaultTest', () => {
    const refs = [
      'file://d/var.txt',
      'file://d/default-transform.js',
      'file://d/value.json',
      'file://d/check.js',
      'file://d/member-transform.py',
      'file://d/case-transform.js',
      'file://d/metric-config.yaml',
    ];
    const version = {
      tests: {
        minPassRate: 1,
        defaultTest: { vars: { a: refs[0] }, options: { transform: refs[1] } },
        cases: [
          {
            vars: { q: 'x' },
            options: { transform: refs[5] },
            assert: [
              { type: 'is-json', value: refs[2] },
              { type: 'javascript', value: refs[3] },
              { type: 'assert-set', assert: [{ type: 'contains', value: 'x', transform: refs[4] }] },
              { type: 'llm-rubric', value: 'ok', config: { extra: refs[6] } },
            ],
          },
        ],
      },
    } as unknown as PromptVersion;
    // Every reference, wherever promptfoo takes one, is read (and so compared and keyed).
    expect(fileRefsOf(version)).toEqual([...refs].sort());

    const files = new Map<string, JsonValue | Error>(refs.map((r) => [r, `source of ${r}`]));
    files.set(refs[2]!, { type: 'object' });
    const code = new Map<string, string>();
    const problems: string[] = [];
    const resolved = resolveFileRefs(version.tests, files, problems, code);
    expect(problems).toEqual([]);
    // Data is put in place; modules where promptfoo expects code stay references, sources kept.
    expect(resolved.defaultTest?.vars?.a).toBe('source of file://d/var.txt');
    expect(resolved.cases[0]?.assert?.[0]).toEqual({ type: 'is-json', value: { type: 'object' } });
    expect(resolved.cases[0]?.assert?.[3]).toEqual({
      type: 'llm-rubric',
      value: 'ok',
      config: { extra: 'source of file://d/metric-config.yaml' },
    });
    expect([...code.keys()].sort()).toEqual([refs[5], refs[1], refs[3], refs[4]].sort());
    expect(resolved.cases[0]?.options?.transform).toBe(refs[5]);
  });

  it('changes the key when only a transform file changes', async () => {
    const p = await project('a ticket');
    const text = await readFile(join(p.dir, V1), 'utf8');
    await writeFile(
      join(p.dir, V1),
      text.replace('  cases:\n', '  defaultTest:\n    options:\n      transform: file://fixtures/t.js\n  cases:\n'),
    );
    const keys = async (source: string) => {
      await writeFile(join(p.dir, 'fixtures/t.js'), source);
      const loaded = await loadProject(p.dir);
      expect(loaded.errors).toEqual([]);
      return (await keysOf({ dir: p.dir, project: loaded.value! })).cases.map((c) => c.key);
    };
    const upper = await keys('module.exports = (o) => o.toUpperCase();\n');
    const lower = await keys('module.exports = (o) => o.toLowerCase();\n');
    expect(upper).toHaveLength(lower.length);
    for (const [i, k] of upper.entries()) expect(k).not.toBe(lower[i]);
    expect(await keys('module.exports = (o) => o.toUpperCase();\n')).toEqual(upper);
  });
});
