import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/index.ts';
import { commitAll, tempRepo } from './helpers.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A real git repository with the base fixture committed, then `edits` applied to the working tree. */
async function changed(
  edits: Record<string, [string, string]>,
  baseEdits: Record<string, [string, string]> = {},
): Promise<string> {
  const repo = await tempRepo();
  cleanups.push(repo.cleanup);
  const apply = async (set: Record<string, [string, string]>): Promise<void> => {
    for (const [path, [from, to]] of Object.entries(set)) {
      const full = join(repo.dir, path);
      const text = await readFile(full, 'utf8').catch(() => '');
      if (from !== '' && !text.includes(from)) throw new Error(`${path} does not contain ${from}`);
      await writeFile(full, from === '' ? to : text.replace(from, to));
    }
  };
  await apply(baseEdits);
  commitAll(repo.dir, 'base');
  await apply(edits);
  return repo.dir;
}

const codes = async (dir: string): Promise<string[]> =>
  (await loadProject(dir, { base: 'HEAD' })).errors.map((e) => `${e.code} ${e.file}:${e.line}:${e.col}`);

const V1 = 'prompts/summarization/v1.yaml';
const V2 = 'prompts/summarization/v2.yaml';
const FLAG = 'rollouts/new-onboarding-tips.yaml';
const MR = 'rollouts/chat-gpt-4o-2024-08-06.yaml';
const EXP = 'experiments/summarization-v1-vs-v2.yaml';
const EMB = 'rollouts/docs-embeddings-3-large.yaml';

describe('history rules (--base, real git)', () => {
  it('an unchanged tree passes', async () => {
    expect(await codes(await changed({}))).toEqual([]);
  });

  it('an active version is immutable except for its status', async () => {
    expect(await codes(await changed({ [V1]: ['temperature: 0.1', 'temperature: 0.3'] }))).toEqual([
      `E_IMMUTABLE_VERSION ${V1}:7:1`,
    ]);
    expect(await codes(await changed({ [V1]: ['status: active', 'status: deprecated'] }))).toEqual([]);
  });

  it('a draft version may be edited; a deprecated one may not', async () => {
    expect(await codes(await changed({ [V2]: ['Keep it under three sentences.', 'Keep it short.'] }))).toEqual([]);
    const dir = await changed(
      { [V1]: ['two sentences', 'three sentences'] },
      { [V1]: ['status: active', 'status: deprecated'] },
    );
    expect(await codes(dir)).toEqual([`E_IMMUTABLE_VERSION ${V1}:9:1`]);
  });

  it('a percent may not skip a stage upward; down is always allowed', async () => {
    expect(
      await codes(await changed({ [FLAG]: ['percent: 5', 'percent: 100'] }, { [FLAG]: ['percent: 25', 'percent: 5'] })),
    ).toEqual([`E_STAGE_SKIP ${FLAG}:6:10`]);
    expect(await codes(await changed({ [FLAG]: ['percent: 25', 'percent: 100'] }))).toEqual([]);
    expect(await codes(await changed({ [MR]: ['percent: 5', 'percent: 25'] }))).toEqual([]);
    expect(await codes(await changed({ [FLAG]: ['percent: 25', 'percent: 0'] }))).toEqual([]);
    expect(await codes(await changed({ [MR]: ['percent: 5\n', 'percent: 100\n'] }))).toEqual([
      `E_STAGE_SKIP ${MR}:9:10`,
    ]);
    expect(
      await codes(
        await changed(
          { [MR]: ['    percent: 5', '    percent: 100'] },
          { [MR]: ['    percent: 25', '    percent: 5'] },
        ),
      ),
    ).toEqual([`E_STAGE_SKIP ${MR}:21:14`]);
  });

  it('a new rollout starts at the first stage', async () => {
    const text = (await readFile(join(import.meta.dirname, 'corpus/_base', FLAG), 'utf8'))
      .replace('flag: new-onboarding-tips', 'flag: brand-new')
      .replace('percent: 25', 'percent: 5');
    expect(await codes(await changed({ 'rollouts/brand-new.yaml': ['', text] }))).toEqual([
      'E_STAGE_SKIP rollouts/brand-new.yaml:6:10',
    ]);
  });

  it('a running experiment may not change weights without a new seed', async () => {
    const reweighted = {
      [EXP]: [
        '    weight: 50\n  treatment:\n    version: 2\n    weight: 50',
        '    weight: 30\n  treatment:\n    version: 2\n    weight: 70',
      ],
    } as Record<string, [string, string]>;
    expect(await codes(await changed(reweighted))).toEqual([`E_RUNNING_EXPERIMENT_CHANGED ${EXP}:10:1`]);
    const dir = await changed(reweighted);
    const path = join(dir, EXP);
    await writeFile(
      path,
      (await readFile(path, 'utf8')).replace('seed: summarization-v1-vs-v2', 'seed: summarization-v1-vs-v2-b'),
    );
    expect(await codes(dir)).toEqual([]);
    expect(await codes(await changed({ [EXP]: ['traffic: 20', 'traffic: 50'] }))).toEqual([]);
  });

  it('an embedding migration moves one phase forward at a time and may step back', async () => {
    expect(await codes(await changed({ [EMB]: ['phase: dual-write', 'phase: dual-read'] }))).toEqual([
      `E_PHASE_SKIP ${EMB}:16:8`,
    ]);
    expect(await codes(await changed({ [EMB]: ['    phase: backfill', '    phase: dual-read'] }))).toEqual([]);
    expect(await codes(await changed({ [EMB]: ['    phase: backfill', '    phase: cutover'] }))).toEqual([
      `E_PHASE_SKIP ${EMB}:22:12`,
    ]);
    expect(await codes(await changed({ [EMB]: ['    phase: backfill', '    phase: dual-write'] }))).toEqual([]);
  });

  it('an active version may not change its tests through a file:// value either', async () => {
    const TICKET = 'prompts/summarization/ticket.txt';
    const refFrom = (version: string): Record<string, [string, string]> => ({
      [version]: [
        '        ticket: I was charged twice for my annual plan on March 3rd',
        `        ticket: file://${TICKET}\n        # was: I was charged twice`,
      ],
      [TICKET]: ['', 'I was charged twice for my annual plan.'],
    });
    const editTicket = { [TICKET]: ['annual plan', 'monthly plan'] } as Record<string, [string, string]>;
    // The base references the file from the active v1; the head edits only the file.
    const dir = await changed(editTicket, refFrom(V1));
    const errors = (await loadProject(dir, { base: 'HEAD' })).errors;
    expect(errors.map((e) => `${e.code} ${e.file}:${e.line}:${e.col}`)).toEqual([`E_IMMUTABLE_VERSION ${V1}:20:17`]);
    expect(errors[0]!.message).toContain(TICKET);
    // The file unchanged: nothing to report.
    expect(await codes(await changed({}, refFrom(V1)))).toEqual([]);
    // Deleting the file the active version reads is a change too.
    const removed = await changed({}, refFrom(V1));
    await rm(join(removed, TICKET));
    expect((await codes(removed)).map((c) => c.split(' ')[0])).toContain('E_IMMUTABLE_VERSION');
    // A draft's referenced file may change.
    expect(await codes(await changed(editTicket, refFrom(V2)))).toEqual([]);
  });

  it('an unreadable base is an error, not a crash', async () => {
    const dir = await changed({});
    const result = await loadProject(dir, { base: 'does-not-exist' });
    expect(result.errors.map((e) => e.code)).toEqual(['E_BASE_UNREADABLE']);
  });
});
