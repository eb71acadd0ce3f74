import { cp, mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { CommandIo } from '../../src/cli/command.ts';
import type { Diagnostic } from '../../src/config/diagnostics.ts';
import { annotationsFor } from '../../src/github/annotations.ts';

const root = join(import.meta.dirname, '..', '..');

function io(cwd: string, env: NodeJS.ProcessEnv = {}): CommandIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, cwd, env, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
}

const diagnostic = (i: number, severity: 'error' | 'warning' = 'error'): Diagnostic => ({
  code: 'E_DANGLING_REF',
  severity,
  message: `model 'chatt' does not exist (${i})`,
  hint: "did you mean 'chat'?",
  file: 'prompts/summarization/v2.yaml',
  line: 6,
  col: 8,
});

describe('github glue commands', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-glue-'));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('annotate writes one workflow command per finding, at file/line/col, via @actions/core', async () => {
    await writeFile(
      join(dir, 'validation.json'),
      JSON.stringify({ errors: [diagnostic(1)], warnings: [diagnostic(2, 'warning')] }),
    );
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const cli = io(dir);
    expect(await main(['github', 'annotate', 'validation.json'], cli)).toBe(0);
    vi.mocked(process.stdout.write).mockRestore();
    const lines = written.join('').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^::error title=E_DANGLING_REF,file=prompts\/summarization\/v2.yaml,line=6,col=8::model 'chatt' does not exist \(1\)%0AFix: did you mean 'chat'\?$/,
    );
    expect(lines[1]).toMatch(/^::warning title=E_DANGLING_REF,/);
  });

  it("annotate caps at GitHub's 50 annotations (errors first) and refuses input that is not validate output", async () => {
    const many = [
      ...Array.from({ length: 10 }, (_, i) => diagnostic(i, 'warning')),
      ...Array.from({ length: 60 }, (_, i) => diagnostic(i)),
    ];
    const anns = annotationsFor(many);
    expect(anns).toHaveLength(50);
    expect(anns.slice(0, 49).every((a) => a.level === 'error')).toBe(true);
    expect(anns[49]).toMatchObject({ level: 'notice', message: '21 more finding(s) are listed in the job summary.' });
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ errors: [{ code: 1 }] }));
    const cli = io(dir);
    expect(await main(['github', 'annotate', 'bad.json'], cli)).toBe(1);
    expect(cli.err.join('')).toContain('E_ANNOTATE_INPUT');
  });

  it('stamp + summary write the PR stamp and the job summary file', async () => {
    const out = join(dir, 'out');
    const sha = 'f'.repeat(40);
    expect(await main(['github', 'stamp', out, '--pr', '12', '--head-sha', sha], io(dir))).toBe(0);
    expect(JSON.parse(await readFile(join(out, 'switchyard-pr.json'), 'utf8'))).toEqual({ pr: 12, headSha: sha });
    await writeFile(join(out, 'validation.json'), JSON.stringify({ errors: [], warnings: [diagnostic(3, 'warning')] }));
    const summaryFile = join(dir, 'step-summary.md');
    await writeFile(summaryFile, '');
    // Without a report (the run broke before it), the findings themselves are the summary.
    expect(await main(['github', 'summary', out], io(dir, { GITHUB_STEP_SUMMARY: summaryFile }))).toBe(0);
    await writeFile(join(out, 'report.md'), '## ✅ Verdict: pass\n');
    expect(await main(['github', 'summary', out], io(dir, { GITHUB_STEP_SUMMARY: summaryFile }))).toBe(0);
    const summary = await readFile(summaryFile, 'utf8');
    expect(summary).toContain('No report was produced');
    expect(summary.indexOf('## ✅ Verdict: pass')).toBeGreaterThan(summary.indexOf('No report was produced'));
    expect(summary).toContain(
      "| ⚠️ | `E_DANGLING_REF` | `prompts/summarization/v2.yaml:6:8` | model 'chatt' does not exist (3) |",
    );
    expect(await main(['github', 'stamp', out, '--pr', '12', '--head-sha', 'main'], io(dir))).toBe(2);
  });

  it('publish under Actions masks the base64 auth header (Actions masks only the raw token)', async () => {
    const token = 'ghs_MaskMe0123456789';
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const cli = io(dir, { GITHUB_TOKEN: token, GITHUB_ACTIONS: 'true' });
    // Nothing is signed here, so the publish itself fails after the mask was registered.
    expect(
      await main(['github', 'publish', join(dir, 'dist'), '--env', 'staging', '--target', join(dir, 'out')], cli),
    ).toBe(1);
    const local = io(dir, { GITHUB_TOKEN: token });
    expect(
      await main(['github', 'publish', join(dir, 'dist'), '--env', 'staging', '--target', join(dir, 'out')], local),
    ).toBe(1);
    vi.mocked(process.stdout.write).mockRestore();
    expect(written.join('')).toBe(`::add-mask::${Buffer.from(`x-access-token:${token}`).toString('base64')}\n`);
    expect(cli.err.join('')).toContain('E_PUBLISH_NOT_SIGNED');
  });

  it('policy exits 1 on a repository with a bad workflow and 0 on this one', async () => {
    await mkdir(join(dir, '.github', 'workflows'), { recursive: true });
    await cp(
      join(import.meta.dirname, 'fixtures', 'workflows', 'unpinned-action.yml'),
      join(dir, '.github', 'workflows', 'ci.yml'),
    );
    const bad = io(dir);
    expect(await main(['github', 'policy'], bad)).toBe(1);
    expect(bad.err.join('\n')).toContain('.github/workflows/ci.yml:17:15  error  E_WF_UNPINNED_ACTION');
    expect(await main(['github', 'policy'], io(root))).toBe(0);
  });

  it('kill edits the flag in a copy of the repo; unknown flags and bad names are refused', async () => {
    await mkdir(join(dir, 'rollouts'));
    await cp(join(root, 'rollouts', 'new-onboarding-tips.yaml'), join(dir, 'rollouts', 'new-onboarding-tips.yaml'));
    const ok = io(dir);
    expect(await main(['kill', 'new-onboarding-tips'], ok)).toBe(0);
    expect(ok.out.join('')).toBe('rollouts/new-onboarding-tips.yaml: killed: true');
    expect(await readFile(join(dir, 'rollouts', 'new-onboarding-tips.yaml'), 'utf8')).toContain(
      '# A plain feature flag with a kill switch.\n',
    );
    const again = io(dir);
    expect(await main(['kill', 'new-onboarding-tips'], again)).toBe(0);
    expect(again.out.join('')).toContain('already true');
    const unknown = io(dir);
    expect(await main(['kill', 'nope'], unknown)).toBe(1);
    expect(unknown.err.join('')).toContain('E_KILL_UNKNOWN_FLAG');
    expect(await main(['kill', '../switchyard'], io(dir))).toBe(2);
  });
});
