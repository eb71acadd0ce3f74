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
});
