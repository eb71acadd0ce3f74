/**
 * The local build directory between `compile`, `sign` and `publish` (default `dist/`):
 *
 *   dist/<env>/payload/<sha256>.json   the compiled payload (canonical JSON)
 *   dist/<env>/compiled.json           which payload the last compile produced: { env, commit, sha256, length }
 *   dist/<env>/manifest.json           written by `sign`
 *
 * `compiled.json` is a local pointer, never published; the published layout is `<env>/manifest.json`
 * + `<env>/payload/<sha256>.json`.
 */

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';
import type { CompiledBundle } from './compile.ts';
import { isSha256Hex, parseStrictJsonBytes, sha256Hex } from './runtime-format.ts';

export interface CompiledPointer {
  env: string;
  commit: string;
  sha256: string;
  length: number;
}

export function envDir(dist: string, env: string): string {
  return join(dist, env);
}

/** Writes the payload (content-addressed) and the pointer to it. Returns the payload's path. */
export async function writeCompiled(dist: string, compiled: CompiledBundle): Promise<string> {
  const dir = envDir(dist, compiled.payload.env);
  await mkdir(join(dir, 'payload'), { recursive: true });
  const payloadFile = join(dir, 'payload', `${compiled.sha256}.json`);
  await writeFileAtomic(payloadFile, compiled.bytes);
  const pointer: CompiledPointer = {
    env: compiled.payload.env,
    commit: compiled.payload.commit,
    sha256: compiled.sha256,
    length: compiled.bytes.byteLength,
  };
  await writeFileAtomic(join(dir, 'compiled.json'), new TextEncoder().encode(`${JSON.stringify(pointer, null, 2)}\n`));
  return payloadFile;
}

export type ReadCompiledResult =
  { ok: true; pointer: CompiledPointer; payload: Uint8Array; payloadFile: string } | { ok: false; message: string };

/** Reads what `compile` left for an environment and checks the payload still matches its hash. */
export async function readCompiled(dist: string, env: string): Promise<ReadCompiledResult> {
  const dir = envDir(dist, env);
  let raw: Uint8Array;
  try {
    raw = await readFile(join(dir, 'compiled.json'));
  } catch {
    return {
      ok: false,
      message: `${join(dir, 'compiled.json')} not found: run \`switchyard compile --env ${env} --out ${dist}\` first`,
    };
  }
  const parsed = parseStrictJsonBytes(raw);
  const p = parsed.ok ? (parsed.value as Record<string, unknown>) : undefined;
  if (!p || p.env !== env || typeof p.commit !== 'string' || !isSha256Hex(p.sha256) || typeof p.length !== 'number') {
    return { ok: false, message: `${join(dir, 'compiled.json')} is not a compile pointer for ${env}` };
  }
  const pointer = { env, commit: p.commit, sha256: p.sha256, length: p.length };
  const payloadFile = join(dir, 'payload', `${pointer.sha256}.json`);
  let payload: Uint8Array;
  try {
    payload = await readFile(payloadFile);
  } catch {
    return { ok: false, message: `${payloadFile} is missing: compile again` };
  }
  if (sha256Hex(payload) !== pointer.sha256 || payload.byteLength !== pointer.length) {
    return { ok: false, message: `${payloadFile} does not match its hash: compile again` };
  }
  return { ok: true, pointer, payload, payloadFile };
}
