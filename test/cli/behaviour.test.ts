/**
 * The CLI behaves like gh/npm: --version, did-you-mean for commands and options, one-line usage
 * errors pointing at --help, colour only where it belongs, no stack trace on a closed pipe, help
 * without loading commands, and no promptfoo or Node noise in `switchyard eval`. Every test spawns the
 * real entry point (bin/switchyard.mjs).
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.ts';
import { COMMAND_SUMMARIES } from '../../src/cli/help.mjs';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/switchyard.mjs');
const work = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Environment without colour switches from the caller's terminal, plus `extra`. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of ['FORCE_COLOR', 'NO_COLOR', 'TERM', 'SWITCHYARD_DEBUG']) delete base[name];
  return { ...base, ...extra };
}

function cli(args: string[], extra: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    env: env(extra),
    encoding: 'utf8',
    timeout: 120_000,
  });
}

// eslint-disable-next-line no-control-regex -- the escape character is what a colour sequence starts with
const ANSI = /\u001b\[\d+m/;
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

describe('switchyard --version', () => {
  it.each([['--version'], ['-v']])('%s prints the package version and exits 0', (flag) => {
    const r = cli([flag]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`switchyard ${version} (node ${process.version})\n`);
    expect(r.stderr).toBe('');
  });
});

describe('usage errors', () => {
  const oneLine = (r: SpawnSyncReturns<string>) => {
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/Usage:|at .*\.ts:\d+|To specify a positional argument/);
    return r.stderr;
  };

  it('suggests the command meant by a typo and points at --help', () => {
    expect(oneLine(cli(['valdate']))).toBe(
      "switchyard: unknown command 'valdate' (did you mean validate?). Run 'switchyard --help' for usage.\n",
    );
  });

  it('names an unknown command without a wild guess', () => {
    expect(oneLine(cli(['frobnicate']))).toBe(
      "switchyard: unknown command 'frobnicate'. Run 'switchyard --help' for usage.\n",
    );
    // Object.prototype members are not commands.
    expect(oneLine(cli(['toString']))).toContain("unknown command 'toString'");
  });

  it('suggests the option meant by a typo, in the words of the CLI rather than parseArgs', () => {
    expect(oneLine(cli(['validate', '--fromat', 'json']))).toBe(
      "switchyard validate: unknown option '--fromat' (did you mean --format?). Run 'switchyard validate --help' for usage.\n",
    );
    expect(oneLine(cli(['validate', '--fromat=json']))).toContain("unknown option '--fromat' (did you mean --format?)");
    expect(oneLine(cli(['--verison']))).toContain("unknown option '--verison' (did you mean --version?)");
  });

  it('reports a missing value, a stray argument and a bad value on one line', () => {
    expect(oneLine(cli(['validate', '--base']))).toContain(
      "switchyard validate: option '--base <value>' argument missing.",
    );
    expect(oneLine(cli(['eval', 'extra']))).toContain("switchyard eval: unexpected argument 'extra'");
    expect(oneLine(cli(['validate', '--format', 'yaml']))).toContain("unknown format 'yaml'");
  });

  it('points subcommand errors at the subcommand help', () => {
    expect(oneLine(cli(['migrate', 'embedings']))).toBe(
      "switchyard migrate: unknown subcommand 'embedings' (did you mean embeddings?). Run 'switchyard migrate --help' for usage.\n",
    );
    expect(oneLine(cli(['migrate', 'conversations', '--dry-rn']))).toBe(
      "switchyard migrate conversations: unknown option '--dry-rn' (did you mean --dry-run?). Run 'switchyard migrate conversations --help' for usage.\n",
    );
  });
});

describe('colour', () => {
  it('is off in a pipe, on with FORCE_COLOR, and NO_COLOR turns it off', () => {
    expect(cli(['valdate']).stderr).not.toMatch(ANSI);
    expect(cli(['valdate'], { FORCE_COLOR: '1' }).stderr).toMatch(ANSI);
    expect(cli(['valdate'], { FORCE_COLOR: '0' }).stderr).not.toMatch(ANSI);
    expect(cli(['valdate'], { NO_COLOR: '1' }).stderr).not.toMatch(ANSI);
  });

  // `script` runs the CLI on a pseudo-terminal: the real TTY case.
  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.runIf(hasScript)('is on for a terminal unless NO_COLOR or TERM=dumb', () => {
    const onTty = (extra: Record<string, string>) =>
      spawnSync(
        'script',
        ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} validate`, '/dev/null'],
        { cwd: root, env: env({ TERM: 'xterm', ...extra }), encoding: 'utf8', timeout: 120_000 },
      );
    const plain = onTty({});
    expect(plain.stdout).toContain('0 errors');
    expect(plain.stdout).toMatch(ANSI);
    expect(onTty({ NO_COLOR: '1' }).stdout).not.toMatch(ANSI);
    expect(onTty({ TERM: 'dumb' }).stdout).not.toMatch(ANSI);
  });
});

describe('closed pipes', () => {
  /** Runs the CLI with its stdout read end closed before it writes anything. */
  const closedStdout = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], {
        cwd: root,
        env: env(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });

  it('`validate --format json | head -1` prints no stack trace', () => {
    const r = spawnSync(
      'sh',
      ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} validate --format json | head -1`],
      { cwd: root, env: env(), encoding: 'utf8' },
    );
    expect(r.stdout).toBe('{\n');
    expect(r.stderr).toBe('');
  });

  it('a reader that has gone costs no stack trace, and the exit status still tells valid from invalid', async () => {
    expect(await closedStdout(['validate', '--format', 'json'])).toEqual({ code: 0, stderr: '' });
    expect(await closedStdout(['--help'])).toEqual({ code: 0, stderr: '' });
    // A copy of the demo settings and models plus one file that does not parse.
    const broken = join(work, 'broken');
    mkdirSync(broken);
    cpSync(join(root, 'switchyard.yaml'), join(broken, 'switchyard.yaml'));
    cpSync(join(root, 'models'), join(broken, 'models'), { recursive: true });
    writeFileSync(join(broken, 'models', 'broken.yaml'), 'junk: [\n');
    expect(await closedStdout(['validate', broken, '--format', 'json'])).toEqual({ code: 1, stderr: '' });
  });
});

describe('help', () => {
  it('lists every command with its summary without loading any command module or tsx', () => {
    const trace = join(work, 'imports.txt');
    const r = spawnSync(process.execPath, ['--import', join(import.meta.dirname, 'trace-imports.mjs'), bin, '--help'], {
      cwd: root,
      env: env({ TRACE_IMPORTS_FILE: trace }),
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    for (const [name, summary] of Object.entries(COMMAND_SUMMARIES))
      expect(r.stdout).toContain(`  ${name.padEnd(14)} ${summary}`);
    const loaded = readFileSync(trace, 'utf8');
    expect(loaded).toContain('src/cli/help.mjs');
    expect(loaded).not.toMatch(/src\/cli\/commands\/|src\/cli\/main\.ts|node_modules\/tsx\//);
  });

  it("`help <command>` and `--help <command>` show that command's usage", () => {
    for (const args of [
      ['help', 'validate'],
      ['--help', 'validate'],
      ['validate', '--help'],
    ]) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: switchyard validate /);
    }
    expect(cli(['help', 'valdate']).stderr).toContain("unknown command 'valdate' (did you mean validate?)");
  });

  it('the summaries and the command registry name the same commands, and each module is the command it is filed as', async () => {
    expect(Object.keys(COMMAND_SUMMARIES)).toEqual(Object.keys(commands));
    for (const [name, load] of Object.entries(commands)) expect((await load()).command.name).toBe(name);
  });
});

describe('switchyard eval output', () => {
  it('carries no promptfoo log lines and no Node ExperimentalWarning', () => {
    const out = join(work, 'eval.json');
    const r = cli(['eval', '--no-cache', '--out', out], { SWITCHYARD_OFFLINE: '1' });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    const all = r.stdout + r.stderr;
    expect(all).toMatch(/eval: \d+ cases: \d+ passed/);
    expect(all).not.toMatch(/Starting evaluation|Running \d+ test cases|ExperimentalWarning|\(node:\d+\)/);
    expect(r.stderr).toBe('');
  });
});
