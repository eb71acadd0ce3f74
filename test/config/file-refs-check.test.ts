import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/index.ts';
import { tempRepo } from './helpers.ts';

const V1 = 'prompts/summarization/v1.yaml';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** The base fixture with v1's refund ticket and one expected value read from files. */
async function withRefs(): Promise<string> {
  const repo = await tempRepo();
  cleanups.push(repo.cleanup);
  const path = join(repo.dir, V1);
  const text = (await readFile(path, 'utf8'))
    .replace(/ticket: I was charged twice[^\n]*/, 'ticket: file://evals/refund-ticket.txt')
    .replace('value: refund', 'value: file://evals/refund-word.txt');
  await writeFile(path, text);
  await mkdir(join(repo.dir, 'evals'));
  return repo.dir;
}

const errorsOf = async (dir: string) =>
  (await loadProject(dir)).errors.map((e) => `${e.code} ${e.file}:${e.line}:${e.col} ${e.message}`);

describe('validate reads every file:// reference of the tests', () => {
  it('reports each missing file at its reference, all at once', async () => {
    const dir = await withRefs();
    const errors = await errorsOf(dir);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(
      /^E_FILE_REF_UNREADABLE prompts\/summarization\/v1\.yaml:20:17 .*evals\/refund-ticket\.txt/,
    );
    expect(errors[1]).toMatch(
      /^E_FILE_REF_UNREADABLE prompts\/summarization\/v1\.yaml:23:18 .*evals\/refund-word\.txt/,
    );
  });

  it('is clean once the files exist', async () => {
    const dir = await withRefs();
    await writeFile(join(dir, 'evals/refund-ticket.txt'), 'I was charged twice.');
    await writeFile(join(dir, 'evals/refund-word.txt'), 'refund');
    expect(await errorsOf(dir)).toEqual([]);
  });

  it('refuses a symbolic link that leads outside the repository', async () => {
    const dir = await withRefs();
    await writeFile(join(dir, 'evals/refund-ticket.txt'), 'I was charged twice.');
    await symlink('/etc/hostname', join(dir, 'evals/refund-word.txt'));
    const errors = await errorsOf(dir);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^E_FILE_REF_OUTSIDE prompts\/summarization\/v1\.yaml:23:18 /);
  });
});
