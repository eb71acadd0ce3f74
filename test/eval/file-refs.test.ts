import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/index.ts';
import { WorkingTreeReader } from '../../src/config/repo-reader.ts';
import type { JsonValue, Project } from '../../src/config/types.ts';
import { buildCases, type CaseContext } from '../../src/eval/cases.ts';
import { loadFileRefs, projectFileRefs } from '../../src/eval/file-refs.ts';
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
