import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { CommandIo } from '../../src/cli/command.ts';
import { tempRepo } from './helpers.ts';

function io(cwd: string): CommandIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd, env: {} };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function brokenRepo(): Promise<string> {
  const repo = await tempRepo();
  cleanups.push(repo.cleanup);
  await writeFile(join(repo.dir, 'models/chat.yaml'), 'alias: chat\nsnapshot: gpt-4o\n');
  return repo.dir;
}

describe('switchyard validate', () => {
  it('exits 0 on a clean repository', async () => {
    const repo = await tempRepo();
    cleanups.push(repo.cleanup);
    const cli = io(repo.dir);
    expect(await main(['validate'], cli)).toBe(0);
    expect(cli.out.join('\n')).toContain('0 errors');
  });

  it('exits 1 with file:line:col, code and hint in text format', async () => {
    const dir = await brokenRepo();
    const cli = io(dir);
    expect(await main(['validate'], cli)).toBe(1);
    const text = cli.out.join('\n');
    expect(text).toMatch(/^models\/chat\.yaml:2:11 {2}error {2}E_FLOATING_SNAPSHOT /m);
    expect(text).toContain('hint: Pin a dated snapshot');
  });

  it('prints the documented JSON document', async () => {
    const dir = await brokenRepo();
    const cli = io(join(dir, '..'));
    expect(await main(['validate', dir.split('/').pop()!, '--format', 'json'], cli)).toBe(1);
    const report = JSON.parse(cli.out.join('')) as {
      version: number;
      ok: boolean;
      summary: { errors: number };
      diagnostics: Array<Record<string, unknown>>;
    };
    expect(report.version).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.summary.errors).toBe(report.diagnostics.filter((d) => d.severity === 'error').length);
    expect(report.diagnostics).toContainEqual(
      expect.objectContaining({
        code: 'E_FLOATING_SNAPSHOT',
        file: `${dir.split('/').pop()}/models/chat.yaml`,
        line: 2,
        col: 11,
        pointer: '/snapshot',
      }),
    );
  });

  it('prints GitHub annotations with escaped properties', async () => {
    const dir = await brokenRepo();
    const cli = io(dir);
    expect(await main(['validate', '--format', 'github'], cli)).toBe(1);
    expect(cli.out.join('\n')).toMatch(
      /^::error file=models\/chat\.yaml,line=2,col=11,title=E_FLOATING_SNAPSHOT::snapshot 'gpt-4o' is not a dated snapshot\. Hint: /m,
    );
  });

  it('exits 2 on usage errors', async () => {
    const repo = await tempRepo();
    cleanups.push(repo.cleanup);
    expect(await main(['validate', '--format', 'xml'], io(repo.dir))).toBe(2);
    expect(await main(['validate', 'no-such-dir'], io(repo.dir))).toBe(2);
    expect(await main(['validate', '--base', 'main'], io(repo.dir))).toBe(2);
  });
});
