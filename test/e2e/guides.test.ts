/**
 * Every operating guide in docs/guides/ is executable documentation: its `sh guide-test` blocks run,
 * in order, against a fresh temporary repository made from this template (see docs/guides/README.md
 * for the tags). A guide whose commands stop working fails here, and so does a guide that commits an
 * invalid tree at any step (every new commit is validated, not only the last).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProjectAtRef } from '../../src/config/index.ts';
import { fencedBlocks } from './markdown-blocks.ts';
import { SOURCE_ROOT, makeTemplateRepo, type TemplateRepo } from './template-repo.ts';

/** Every commit reachable from any ref of the repository. */
async function allCommits(repo: TemplateRepo): Promise<Set<string>> {
  return new Set((await repo.git('rev-list', '--all')).split('\n').filter(Boolean));
}

/**
 * The commits a block created, each validated as `switchyard validate` would at that commit: a
 * guide may show a refused state in the working tree, but nothing it commits may be invalid.
 */
async function invalidCommits(repo: TemplateRepo, before: Set<string>): Promise<string[]> {
  const problems: string[] = [];
  for (const sha of await allCommits(repo)) {
    if (before.has(sha)) continue;
    const { errors } = await loadProjectAtRef(repo.dir, sha);
    if (errors.length > 0) {
      const subject = await repo.git('log', '-1', '--format=%s', sha);
      problems.push(
        `${sha.slice(0, 8)} "${subject}": ${errors.map((e) => `${e.code} ${e.file}:${e.line}`).join(', ')}`,
      );
    }
  }
  return problems;
}

const guideDir = join(SOURCE_ROOT, 'docs', 'guides');
const guides = readdirSync(guideDir)
  .filter((f) => f.endsWith('.md') && f !== 'README.md')
  .sort();

describe('operating guides (docs/guides) run as written', () => {
  it('cover the eight operations, and every sh block is either tested or marked manual', () => {
    expect(guides).toEqual([
      'activate-and-roll-back-a-prompt.md',
      'conversation-migration.md',
      'kill-a-flag.md',
      'migrate-embeddings.md',
      'reading-the-pr-comment.md',
      'roll-out-a-model.md',
      'rotate-signing-keys.md',
      'run-an-ab-test.md',
    ]);
    for (const guide of guides) {
      const blocks = fencedBlocks(readFileSync(join(guideDir, guide), 'utf8'));
      const untagged = blocks.filter(
        (b) => b.lang === 'sh' && !b.tags.includes('guide-test') && !b.tags.includes('guide-manual'),
      );
      expect(untagged.map((b) => `${guide}:${b.line}`)).toEqual([]);
      expect(blocks.filter((b) => b.tags.includes('guide-test')).length, guide).toBeGreaterThan(0);
      // A block that is expected to fail must say which diagnostic it expects, so it cannot pass by failing for another reason.
      const vagueFailures = blocks.filter(
        (b) =>
          b.tags.some((t) => t.startsWith('exit=') && t !== 'exit=0') && !b.tags.some((t) => t.startsWith('code=')),
      );
      expect(vagueFailures.map((b) => `${guide}:${b.line}`)).toEqual([]);
    }
  });

  for (const guide of guides) {
    it.concurrent(
      guide,
      async () => {
        const blocks = fencedBlocks(readFileSync(join(guideDir, guide), 'utf8'));
        const repo = await makeTemplateRepo();
        try {
          expect(await invalidCommits(repo, new Set()), `${guide}: the template repository`).toEqual([]);
          for (const block of blocks) {
            if (block.tags.includes('guide-test')) {
              const expected = Number(block.tags.find((t) => t.startsWith('exit='))?.slice(5) ?? 0);
              const before = await allCommits(repo);
              const result = await repo.sh(block.body);
              const code = block.tags.find((t) => t.startsWith('code='))?.slice(5);
              if (code && !`${result.stdout}${result.stderr}`.includes(code)) {
                throw new Error(
                  `${guide}:${block.line}: output lacks ${code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
                );
              }
              if (result.code !== expected) {
                throw new Error(
                  `${guide}:${block.line}: exited ${result.code}, expected ${expected}\n--- block\n${block.body}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
                );
              }
              expect(await invalidCommits(repo, before), `${guide}:${block.line} committed an invalid tree`).toEqual(
                [],
              );
            } else if (block.tags.includes('guide-expect')) {
              const file = block.tags[block.tags.indexOf('guide-expect') + 1] as string;
              const text = await readFile(join(repo.dir, file), 'utf8');
              for (const line of block.body.split('\n').filter(Boolean)) {
                expect(text.split('\n'), `${guide}:${block.line} expects in ${file}: ${line}`).toContain(line);
              }
            }
          }
        } finally {
          await repo.cleanup();
        }
      },
      300_000,
    );
  }
});
