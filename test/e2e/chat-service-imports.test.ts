/**
 * The reference chat service is something an application can copy: its sources import only the
 * published packages (`@switchyard/runtime`, `@switchyard/data`), public npm packages and Node's
 * standard library — never this repository's `src/` or a package's sources by path. Imports are
 * read with TypeScript's own pre-processor, so `import type`, `export … from` and `import()` count.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../examples/chat-service/src/cli.ts';

const SERVICE_SRC = resolve(import.meta.dirname, '..', '..', 'examples', 'chat-service', 'src');
const ALLOWED_PACKAGES = new Set(['@switchyard/runtime', '@switchyard/data', 'openai']);

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

/** What is wrong with one import specifier of `file`, or null when it is allowed. */
export function importProblem(file: string, specifier: string): string | null {
  if (specifier.startsWith('node:')) return null;
  if (specifier.startsWith('.')) {
    const target = resolve(dirname(file), specifier);
    return relative(SERVICE_SRC, target).startsWith('..') ? `reaches outside the service: ${specifier}` : null;
  }
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
  if (!ALLOWED_PACKAGES.has(name)) return `imports a package the service does not declare: ${specifier}`;
  if (name.startsWith('@switchyard/') && specifier !== name && !specifier.startsWith(`${name}/`))
    return `bad subpath: ${specifier}`;
  return null;
}

describe('chat service imports', () => {
  it('imports only @switchyard/runtime, @switchyard/data, openai and node: modules', async () => {
    const files = await sources(SERVICE_SRC);
    expect(files.length).toBeGreaterThan(10);
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const file of files) {
      const info = ts.preProcessFile(await readFile(file, 'utf8'), true, true);
      for (const ref of info.importedFiles) {
        seen.add(ref.fileName.startsWith('.') ? '(relative)' : ref.fileName);
        const problem = importProblem(file, ref.fileName);
        if (problem) problems.push(`${relative(SERVICE_SRC, file)}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
    // The check saw the imports it is about (a pre-processor that found nothing would pass vacuously).
    expect([...seen]).toEqual(
      expect.arrayContaining(['@switchyard/runtime', '@switchyard/data', 'openai', '(relative)']),
    );
  });

  it('flags what would get around it', () => {
    const file = join(SERVICE_SRC, 'app.ts');
    expect(importProblem(file, '../../../src/eval/endpoint.ts')).toMatch(/outside the service/);
    expect(importProblem(file, '../../../packages/runtime/src/index.ts')).toMatch(/outside the service/);
    expect(importProblem(file, '../demo/kit.ts')).toMatch(/outside the service/);
    expect(importProblem(file, 'switchyard/src/store')).toMatch(/does not declare/);
    expect(importProblem(file, '@switchyard/runtimex')).toMatch(/does not declare/);
    expect(importProblem(file, './rag.ts')).toBeNull();
    expect(importProblem(file, 'node:http')).toBeNull();
  });

  it("runs on its own only with published bundles and a model endpoint (the demo kit is the repository's)", async () => {
    const lines: string[] = [];
    const io = { stdout: (l: string) => lines.push(l), stderr: (l: string) => lines.push(l) };
    expect(await runCli(['--in-memory', '--port', '0'], {}, io)).toBe(1);
    expect(
      await runCli(
        [
          '--in-memory',
          '--port',
          '0',
          '--bundle-url',
          'http://127.0.0.1:9/',
          '--trusted-keys',
          '/nonexistent',
          '--offline',
        ],
        {},
        io,
      ),
    ).toBe(1);
    expect(lines.filter((l) => l.includes('E_DEMO_UNAVAILABLE'))).toHaveLength(2);
  });
});
