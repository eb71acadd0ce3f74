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
});
