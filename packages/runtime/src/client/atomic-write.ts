/**
 * Crash-safe file replacement for the last-known-good cache (same semantics as the compiler's
 * `src/bundle/atomic-write.ts`; the runtime cannot import from the repository root).
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temp files this module creates: `.<target>.<12 hex>.tmp` next to the target. */
export const TEMP_FILE = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** fsync a directory so a rename inside it survives a crash (best effort where unsupported). */
export async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot open or fsync directories; the rename is still atomic there.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Replaces `path` so that readers see the old or the complete new content, never a partial file:
 * write a temp file with an unguessable name, created exclusively (`wx`: never follows or reuses an
 * existing file or symlink), fsync, rename over the target. On any failure the temp file is removed
 * and the error rethrown. Only this call's own temp file is ever touched.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, mode = 0o644): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}
