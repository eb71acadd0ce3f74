/**
 * File access for `switchyard serve`: a whitelisted name may still be a symlink (or sit under a
 * symlinked directory) pointing out of the served directory — `manifest.json -> /etc/passwd`. The
 * path is resolved with realpath and must lie inside the served directory's own realpath; the
 * resolved file is then read with the runtime's `readCapped` (O_NOFOLLOW, O_NONBLOCK, regular files
 * only, capped by bytes read, deadline), so a swap after the check is refused rather than followed.
 */
import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { readCapped as ReadCapped } from './runtime-format.ts';

/** The served directory's realpath, computed once (it is what every file must resolve inside). */
const roots = new Map<string, string>();
function realRoot(root: string): string {
  let real = roots.get(root);
  if (real === undefined) {
    real = realpathSync(root);
    roots.set(root, real);
  }
  return real;
}

/**
 * Reads `<root>/<segments…>` if it resolves inside root and is a regular file of at most `max` bytes.
 * 'unreadable': it exists but could not be read (permissions, deadline).
 */
export async function readInside(
  root: string,
  segments: string[],
  max: number,
  read: typeof ReadCapped,
): Promise<Buffer | 'missing' | 'too-large' | 'unreadable'> {
  let resolved: string;
  try {
    resolved = await realpath(join(root, ...segments));
  } catch {
    return 'missing';
  }
  const inside = realRoot(root);
  if (!resolved.startsWith(inside + sep)) return 'missing';
  const r = await read(resolved, max, { noFollow: true, timeoutMs: 5_000 });
  if (r.ok) return r.body;
  if (r.code === 'E_FETCH_TOO_LARGE') return 'too-large';
  // Not a regular file (FIFO, device, a symlink swapped in after realpath): as if absent.
  return r.code === 'E_SOURCE_NOT_FILE' ? 'missing' : 'unreadable';
}
