import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import type { CommandIo } from '../src/cli/command.ts';

export function captureIo(cwd = process.cwd()): CommandIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd, env: { ...process.env } };
}

describe('cli', () => {
  it('exits 2 with a hint on an unknown command', async () => {
    const io = captureIo();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.err.join('')).toContain("unknown command 'frobnicate'");
  });

  it('lists commands on --help', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out.join('')).toContain('pipeline');
  });

  it('dispatches migrate subcommands and prints the subcommand usage for --help', async () => {
    const top = captureIo();
    expect(await main(['migrate', '--help'], top)).toBe(0);
    expect(top.out.join('')).toContain('switchyard migrate <embeddings|conversations>');
    const sub = captureIo();
    expect(await main(['migrate', 'conversations', '--help'], sub)).toBe(0);
    expect(sub.out.join('')).toContain('switchyard migrate conversations');
    const bad = captureIo();
    expect(await main(['migrate', 'tables'], bad)).toBe(2);
    expect(bad.err.join('')).toContain("unknown subcommand 'tables'");
  });

  it('every command that opens the database takes the same options and refuses contradictions', async () => {
    for (const argv of [
      ['analyze', 'experiment', 'x'],
      ['propose', '--dry-run'],
      ['migrate', 'embeddings', 'docs-embeddings-3-large'],
      ['migrate', 'conversations'],
    ]) {
      const help = captureIo();
      expect(await main([...argv, '--help'], help), argv.join(' ')).toBe(0);
      for (const option of ['--database-url', '--data-dir', '--schema'])
        expect(help.out.join(''), `${argv.join(' ')} ${option}`).toContain(option);
      const both = captureIo();
      expect(
        await main([...argv, '--data-dir', '/tmp/x', '--database-url', 'postgres://127.0.0.1:1/none'], both),
        argv.join(' '),
      ).toBe(2);
      expect(both.err.join('')).toContain('--data-dir is for the embedded database');
      const badSchema = captureIo();
      expect(await main([...argv, '--schema', 'Robert"; DROP'], badSchema), argv.join(' ')).toBe(2);
      expect(badSchema.err.join('')).toContain('is not a valid schema name');
    }
  });
});
