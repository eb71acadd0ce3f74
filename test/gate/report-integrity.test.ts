/**
 * The report is never stale, never crashes, never mixes: an invalid configuration gives a blocked
 * report (Markdown, JSON, job summary) listing the findings at file:line; an earlier verdict never
 * survives; results of another commit or configuration are refused; uncommitted files are named.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { Report } from '../../src/eval/index.ts';
import { makeDemoRepo, REPO_ROOT, type DemoRepo } from '../eval/demo-repo.ts';
import { testIo } from '../eval/io.ts';

let repo: DemoRepo;
let summaryDir: string;
beforeAll(async () => {
  repo = await makeDemoRepo();
  summaryDir = await mkdtemp(join(tmpdir(), 'switchyard-summary-'));
}, 60_000);
afterAll(async () => {
  await repo?.cleanup();
  await rm(summaryDir, { recursive: true, force: true });
});

const readReport = async (dir = join(repo.dir, '.switchyard/report')) => ({
  json: JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as Report,
  md: await readFile(join(dir, 'report.md'), 'utf8'),
});

async function schemaValid(report: Report): Promise<void> {
  const schema = JSON.parse(await readFile(join(REPO_ROOT, 'schemas', 'report.schema.json'), 'utf8')) as object;
  const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
  expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
}

describe('report integrity', () => {
  it('an invalid configuration replaces an earlier ✅ with a blocked report (md, json, job summary) listing file:line', async () => {
    repo.git('checkout', '-q', '-B', 'invalid', 'main');
    const io0 = testIo(repo.dir);
    expect(await main(['pipeline', '--base', 'main'], io0), io0.text()).toBe(0);
    expect((await readReport()).md).toMatch(/^## ✅ Switchyard: safe to merge/);

    // The case that used to crash `report` ("reading 'cases'"): a version without its tests.
    await repo.edit('prompts/summarization/v2.yaml', (t) => t.replace(/^tests:[\s\S]*$/m, ''));
    repo.commit('v2 loses its tests');
    const io = testIo(repo.dir);
    expect(await main(['pipeline', '--base', 'main'], io), io.text()).toBe(1);
    expect(io.text()).not.toMatch(/internal error/i);
    const { json, md } = await readReport();
    expect(md).toMatch(/^## ❌ Switchyard: blocked: the configuration does not validate/);
    expect(md).toMatch(/prompts\/summarization\/v2\.yaml:\d+:\d+/);
    expect(json.status).toBe('config-invalid');
    expect(json.verdict).toBe('fail');
    expect(json.blockers[0]).toMatch(/^E_REPORT_CONFIG_INVALID/);
    expect(json.findings.errors.some((d) => d.file === 'prompts/summarization/v2.yaml')).toBe(true);
    await schemaValid(json);

    // What the pr workflow runs: report into the artifact directory, then the job summary from it.
    const out = join(summaryDir, 'artifact');
    const ioR = testIo(repo.dir);
    expect(await main(['report', '--base', 'main', '--out-dir', out], ioR), ioR.text()).toBe(1);
    const summaryFile = join(summaryDir, 'summary.md');
    await writeFile(summaryFile, '');
    const ioS = testIo(repo.dir, { GITHUB_STEP_SUMMARY: summaryFile });
    const previous = process.env.GITHUB_STEP_SUMMARY;
    process.env.GITHUB_STEP_SUMMARY = summaryFile;
    try {
      expect(await main(['github', 'summary', out], ioS), ioS.text()).toBe(0);
    } finally {
      if (previous === undefined) delete process.env.GITHUB_STEP_SUMMARY;
      else process.env.GITHUB_STEP_SUMMARY = previous;
    }
    const summary = await readFile(summaryFile, 'utf8');
    expect(summary).toContain('blocked: the configuration does not validate');
    expect(summary).toMatch(/prompts\/summarization\/v2\.yaml:\d+/);
  }, 120_000);

  it('refuses results computed for another commit or another configuration', async () => {
    repo.git('checkout', '-q', '-f', '-B', 'stale', 'main');
    await repo.edit('rollouts/chat-gpt-4o-2024-08-06.yaml', (t) => t.replace(/^percent: 5$/m, 'percent: 25'));
    repo.commit('rollout 25');
    for (const step of ['eval', 'shadow']) {
      const io = testIo(repo.dir);
      expect(await main([step, '--base', 'main'], io), io.text()).toBe(0);
    }
    const stamped = JSON.parse(await readFile(join(repo.dir, '.switchyard/results/eval.json'), 'utf8')) as {
      commit: string;
      configDigest: string;
    };
    expect(stamped.commit).toBe(repo.git('rev-parse', 'HEAD'));
    expect(stamped.configDigest).toMatch(/^[0-9a-f]{64}$/);

    // A new commit after the evals ran: the old results must not be combined into its verdict.
    await repo.edit('rollouts/new-onboarding-tips.yaml', (t) =>
      t.replace(/^description: .*$/m, 'description: Tips, reworded.'),
    );
    repo.commit('reword');
    const io = testIo(repo.dir);
    expect(await main(['report', '--base', 'main'], io), io.text()).toBe(1);
    const { json } = await readReport();
    expect(json.blockers.join('\n')).toMatch(
      /E_REPORT_STALE_RESULT \.switchyard\/results\/eval\.json was computed for commit [0-9a-f]{12}, not/,
    );
    expect(json.blockers.join('\n')).toMatch(/E_REPORT_STALE_RESULT \.switchyard\/results\/shadow\.json/);
    expect(json.tests.ran).toBe(false);

    // Same commit, edited working tree: another configuration, and the report names the file.
    for (const step of ['eval', 'shadow']) expect(await main([step, '--base', 'main'], testIo(repo.dir))).toBe(0);
    await repo.edit('rollouts/new-onboarding-tips.yaml', (t) =>
      t.replace(/^description: .*$/m, 'description: Tips, uncommitted.'),
    );
    const io2 = testIo(repo.dir);
    expect(await main(['report', '--base', 'main'], io2), io2.text()).toBe(1);
    const again = await readReport();
    expect(again.json.blockers.join('\n')).toMatch(/E_REPORT_STALE_RESULT .*computed from another configuration/);
    expect(again.json.uncommitted).toEqual(['rollouts/new-onboarding-tips.yaml']);
    expect(again.md).toContain('Uncommitted changes judged');
    expect(io2.text()).toContain('not committed: rollouts/new-onboarding-tips.yaml');

    // Fresh results for exactly this working tree combine, and the report still names the file.
    for (const step of ['eval', 'shadow']) expect(await main([step, '--base', 'main'], testIo(repo.dir))).toBe(0);
    const io3 = testIo(repo.dir);
    expect(await main(['report', '--base', 'main'], io3), io3.text()).toBe(0);
    expect((await readReport()).json.uncommitted).toEqual(['rollouts/new-onboarding-tips.yaml']);
  }, 180_000);
});
