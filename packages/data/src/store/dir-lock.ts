import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LOCK_FILE = 'switchyard-store.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive lock on an embedded store directory. PGlite is single-process: two processes
 * opening one data directory would corrupt it, so the second gets a clear error instead. A lock left
 * by a process that no longer exists is taken over.
 */
export function lockDirectory(dir: string): { release(): void } | { heldBy: number } {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) return { heldBy: holder };
      if (holder === process.pid) return { heldBy: holder };
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  return { heldBy: -1 };
}
