/**
 * The manifests `switchyard serve` answers with, kept in memory and fresh, and the long-poll
 * waiters on them.
 *
 * Freshness: one `stat` per request (inode, size, mtime, ctime — a publish renames a new file into
 * place, so its inode changes); the file is re-read and re-hashed only when that changes. A 304 is
 * then a map lookup and a header write, which is what lets polls run near a static server's rate.
 *
 * Long-poll: a request that already holds the current ETag and sends `Prefer: wait=<s>` (RFC 7240)
 * waits here until the manifest's ETag changes, the wait ends or the client goes away. Changes are
 * noticed through `fs.watch` on the environment directory and, because watchers miss events on some
 * file systems (NFS, some containers), by a re-check every `recheckMs` while anyone waits.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { readCapped, sha256Hex } from './runtime-format.ts';
import { readInside } from './serve-files.ts';

export type ManifestState =
  | { kind: 'ok'; body: Buffer; etag: string; headers304: string[] }
  | { kind: 'missing' }
  | { kind: 'too-large' }
  | { kind: 'unreadable' };

export interface ManifestStoreOptions {
  /** Extra headers of every manifest 304 (flat name/value list), e.g. the long-poll offer. */
  headers304?: string[];
  /** Re-check interval for waiting long-polls when no file-system event arrives. Default 1000 ms. */
  recheckMs?: number;
  maxFileBytes?: number;
}

/** Longest wait a `Prefer: wait=` header can ask for before the server's own cap applies. */
const MAX_PREFERENCE_SECONDS = 3600;

/** The `wait` preference of a `Prefer` header in whole seconds (0 when absent or malformed). */
export function parseWaitPreference(header: string | string[] | undefined): number {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return 0;
  const m = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?(?:$|[,;\s])/i.exec(text);
  return m ? Math.min(Number(m[1]), MAX_PREFERENCE_SECONDS) : 0;
}

interface Entry {
  key: string | null;
  state: ManifestState;
  reading: Promise<ManifestState> | null;
}

interface Waiter {
  etag: string;
  done: (state: ManifestState) => void;
}

export class ManifestStore {
  private readonly entries = new Map<string, Entry>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly watchers = new Map<string, FSWatcher>();
  private recheck: ReturnType<typeof setInterval> | null = null;
  private readonly root: string;
  private readonly recheckMs: number;
  private readonly maxFileBytes: number;
  private readonly headers304: string[];

  constructor(root: string, options: ManifestStoreOptions = {}) {
    this.root = root;
    this.recheckMs = options.recheckMs ?? 1000;
    this.maxFileBytes = options.maxFileBytes ?? 64 * 1024 * 1024;
    this.headers304 = options.headers304 ?? [];
  }

  /** The current manifest of `env`: from memory when the file is unchanged, else re-read. */
  get(env: string): Promise<ManifestState> | ManifestState {
    return this.file(env, [env, 'manifest.json']);
  }

  /** The keys document at the top of the served directory (revalidated the same way). */
  keys(): Promise<ManifestState> | ManifestState {
    // '/' cannot be an environment name, so the two never share an entry.
    return this.file('/keys', ['keys.json']);
  }

  private file(name: string, segments: string[]): Promise<ManifestState> | ManifestState {
    const env = name;
    const path = join(this.root, ...segments);
    let key: string;
    try {
      // Sync on purpose: a stat of a local file is microseconds; the thread-pool round trip is not.
      const s = statSync(path);
      key = `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
    } catch {
      key = 'missing';
    }
    const entry = this.entries.get(env);
    if (entry && entry.key === key) return entry.state;
    if (entry?.reading) return entry.reading;
    if (key === 'missing') {
      // Not remembered: requests for made-up environment names must not grow this map.
      this.entries.delete(env);
      return { kind: 'missing' };
    }
    const reading = this.read(segments).then((state) => {
      this.entries.set(env, { key, state, reading: null });
      return state;
    });
    this.entries.set(env, { key: entry?.key ?? null, state: entry?.state ?? { kind: 'missing' }, reading });
    return reading;
  }

  private async read(segments: string[]): Promise<ManifestState> {
    const body = await readInside(this.root, segments, this.maxFileBytes, readCapped);
    if (typeof body === 'string') return { kind: body };
    const etag = `"${sha256Hex(body)}"`;
    // Built once per manifest version: the 304 fast path writes them as they are.
    return { kind: 'ok', body, etag, headers304: [...this.headers304, 'ETag', etag] };
  }

  /**
   * Resolves with the manifest once its ETag differs from `etag`, or with the current state after
   * `ms` or when the request closes.
   */
  waitForChange(env: string, etag: string, ms: number, req: IncomingMessage): Promise<ManifestState> {
    return new Promise((resolve) => {
      let settled = false;
      const set = this.waiters.get(env) ?? new Set<Waiter>();
      this.waiters.set(env, set);
      const finish = (state: ManifestState | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        set.delete(waiter);
        req.off('close', onClose);
        if (set.size === 0) this.stopWatching(env);
        if (state !== null) resolve(state);
        else void Promise.resolve(this.get(env)).then(resolve);
      };
      const waiter: Waiter = { etag, done: (state) => finish(state) };
      const onClose = (): void => finish(null);
      const timer = setTimeout(() => finish(null), ms);
      req.once('close', onClose);
      set.add(waiter);
      this.watch(env);
    });
  }

  private watch(env: string): void {
    if (!this.watchers.has(env)) {
      try {
        const w = watch(join(this.root, env), { persistent: false }, () => void this.notify(env));
        w.on('error', () => this.watchers.delete(env));
        this.watchers.set(env, w);
      } catch {
        // No directory yet, or no watcher support: the periodic re-check still catches the change.
      }
    }
    this.recheck ??= setInterval(() => {
      for (const e of this.waiters.keys()) void this.notify(e);
    }, this.recheckMs);
    this.recheck.unref();
  }

  private stopWatching(env: string): void {
    this.watchers.get(env)?.close();
    this.watchers.delete(env);
    this.waiters.delete(env);
    if (this.waiters.size === 0 && this.recheck !== null) {
      clearInterval(this.recheck);
      this.recheck = null;
    }
  }

  private async notify(env: string): Promise<void> {
    const set = this.waiters.get(env);
    if (!set || set.size === 0) return;
    const state = await this.get(env);
    const etag = state.kind === 'ok' ? state.etag : null;
    for (const w of [...set]) if (w.etag !== etag) w.done(state);
  }

  /** Releases every waiter (with the current state) and every watcher. */
  close(): void {
    for (const [env, set] of this.waiters) {
      const state = this.entries.get(env)?.state ?? { kind: 'missing' as const };
      for (const w of [...set]) w.done(state);
    }
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    if (this.recheck !== null) clearInterval(this.recheck);
    this.recheck = null;
  }
}
