/**
 * The runtime client: fetches, verifies and hot-swaps signed bundles (docs/runtime.md, docs/bundles.md) and answers
 * resolutions from whatever verified bundle is current.
 *
 * Doing is kept at this edge: HTTP and file reads, timers, the disk cache. Deciding is pure and
 * lives elsewhere (bundle verification, table building, the engine). On every failure the client
 * keeps serving the current table and records why in `status()`.
 */
import { verifyManifest } from '../bundle/verify-manifest.ts';
import { verifyPayload } from '../bundle/verify-payload.ts';
import { DEFAULT_MAX_MANIFEST_BYTES, DEFAULT_MAX_PAYLOAD_BYTES } from '../bundle/manifest.ts';
import { parseTrustedKeys } from '../bundle/trusted-keys.ts';
import { DEFAULT_MAX_KEYS_BYTES, latestFloorReset, verifyKeysDocument } from '../bundle/keys-document.ts';
import type { KeysSigned } from '../bundle/keys-document.ts';
import type { TrustedKeys } from '../bundle/trusted-keys.ts';
import type { VerifiedManifest } from '../bundle/verify-manifest.ts';
import { Engine } from '../engine/engine.ts';
import type { EngineOptions, MetricInput, ShadowInput } from '../engine/engine.ts';
import type { BundleChange } from '../engine/diff.ts';
import { compileTable } from '../engine/table.ts';
import type { DecisionTable } from '../engine/table.ts';
import type { ManifestSigned } from '../bundle/manifest.ts';
import type { BundlePayload } from '../bundle/payload.ts';
import type {
  CanaryValue,
  EmbeddingRouteValue,
  ExperimentValue,
  ModelContext,
  ModelResolution,
  PromptContext,
  PromptValue,
  Resolution,
  ShadowContext,
  ShadowValue,
  UnitContext,
} from '../engine/types.ts';
import type { EventSink } from '../events/types.ts';
import { nextDelay } from './backoff.ts';
import { SwitchyardError } from '../errors.ts';
import {
  cacheKeysPath,
  cacheManifestPath,
  cachePayloadPath,
  dropCachedManifest,
  readCacheFile,
  readCacheState,
  writeCache,
  writeCacheFile,
  writeCacheState,
} from './cache.ts';
import type { CacheState } from './cache.ts';
import { VerifyCode } from '../bundle/codes.ts';
import { ClientCode } from './codes.ts';
import type { Failure } from './codes.ts';
import { httpGet } from './http-get.ts';
import { readCapped } from './read-capped.ts';
import { access } from 'node:fs/promises';
import { join } from 'node:path';

/** The payload sections `definition()` reads: one definition per name in each. */
export type DefinitionSection =
  | 'models'
  | 'prompts'
  | 'flags'
  | 'modelRollouts'
  | 'experiments'
  | 'canaries'
  | 'embeddingMigrations'
  | 'schemaMigrations';

export interface ClientOptions {
  /**
   * The publish target: an `http(s)://` URL or a directory. The client reads
   * `<source>/<env>/manifest.json` and `<source>/<env>/payload/<sha256>.json`.
   */
  source: string | URL;
  env: string;
  /**
   * The bundle-signing keys this application trusts: parsed, or a trusted-keys JSON document (see
   * docs/bundles.md). Give this or `trustRoot`, not both.
   */
  trustedKeys?: TrustedKeys | string;
  /**
   * The root keys this application pins (trusted-keys format). The bundle-signing keys then come
   * from the root-signed `keys.json` next to the environments, fetched and updated with every check:
   * rotating or revoking a signing key, or resetting a fast-forwarded serial floor, needs no
   * redeploy. See docs/bundles.md, "Trust model".
   */
  trustRoot?: TrustedKeys | string;
  /**
   * Where the last-known-good bundle and the rollback floor (highest accepted serial) are kept;
   * null disables both. Without a cache directory a restarted client accepts any validly signed,
   * unexpired bundle: there is no rollback protection across restarts beyond `expires`.
   */
  cacheDir?: string | null;
  /** Poll interval; 0 disables polling (call `refresh()`). Default 30 s. */
  pollIntervalMs?: number;
  /** Relative jitter of the healthy interval (0.1 = ±10%). */
  jitter?: number;
  /** First retry delay after a failure; doubles per consecutive failure. Default min(1 s, interval). */
  retryBaseMs?: number;
  maxBackoffMs?: number;
  /** Deadline for one whole request, body included. Default 10 s (a long-poll adds its wait). */
  requestTimeoutMs?: number;
  /**
   * Use long-poll when the server offers it (`switchyard serve` does; static hosts and CDNs do not,
   * and then the client polls with ETags every `pollIntervalMs`). The next check is sent at once
   * and the server holds it until a publish, so a change arrives in milliseconds. Default true.
   */
  longPoll?: boolean;
  /** Longest wait asked for per long-poll (the server may cap it lower). Default 25 s. */
  longPollWaitMs?: number;
  maxManifestBytes?: number;
  maxPayloadBytes?: number;
  /** Serve an expired last-known-good at cold start (marked stale) rather than nothing. Default true. */
  serveExpiredCache?: boolean;
  sink?: EventSink | null;
  exposures?: EngineOptions['exposures'];
  /**
   * The clock (epoch ms) for expiry and staleness and the times in `status()`. Default `Date.now`;
   * tests pass their own. Timers (polling, the stale timer) still run on real time.
   */
  now?: () => number;
}

export interface ClientError {
  code: string;
  message: string;
  /** Epoch ms. */
  at: number;
}

export interface ClientStatus {
  ready: boolean;
  env: string;
  serial: number;
  commit: string | null;
  /** Where the current bundle came from. */
  source: 'network' | 'directory' | 'cache' | null;
  createdAt: string | null;
  expiresAt: string | null;
  /** ms since the current bundle was created (null before ready). */
  ageMs: number | null;
  loadedAt: number | null;
  stale: boolean;
  /** The last check's failure, or null when it succeeded. */
  lastError: ClientError | null;
  /** The last cold-start cache failure or cache write failure, if any. */
  cacheError: ClientError | null;
  lastCheckAt: number | null;
  lastSuccessAt: number | null;
  consecutiveFailures: number;
  etag: string | null;
  /**
   * The lowest serial this client will accept: the highest it ever accepted, including (with a
   * cache directory) before a restart, unless a root-signed floor reset lowered it. 0 when nothing
   * is known.
   */
  serialFloor: number;
  /**
   * Whether `serialFloor` is on disk (state.json): false after a failed cache write (a full disk),
   * when a restart would forget it; null without a cache directory.
   */
  floorPersisted: boolean | null;
  /** With `trustRoot`: the version of the keys document in force (null before one verified, or without a root). */
  keysVersion: number | null;
}

/** Thrown by `createClient` for unusable options (the only place the client throws). */
export class ClientOptionsError extends SwitchyardError {
  override name = 'ClientOptionsError';
  constructor(message: string) {
    super(ClientCode.OPTIONS, message);
  }
}

/** Thrown (rejected) by `ready()` when no bundle became active in time. */
export class ClientNotReadyError extends SwitchyardError {
  override name = 'ClientNotReadyError';
  constructor(message: string, code: string) {
    super(code, message);
  }
}

type Ok = { ok: true };
const OK: Ok = { ok: true };
/** A fetched manifest; `body: null` when the server answered 304 Not Modified. */
type ManifestFetch = Failure | { ok: true; body: Buffer | null; etag: string | null };
/** The bundle verified but a newer one was installed meanwhile: nothing swapped, nothing to cache. */
type Superseded = { ok: true; superseded: true };

export class SwitchyardClient {
  private readonly engine: Engine;
  private readonly o: Required<
    Omit<ClientOptions, 'sink' | 'exposures' | 'trustedKeys' | 'trustRoot' | 'source' | 'cacheDir' | 'now'>
  > & { cacheDir: string | null };
  /** Bundle-signing keys: fixed (`trustedKeys`) or from the current keys document (`trustRoot`). */
  private keys: TrustedKeys | null;
  private readonly root: TrustedKeys | null;
  private keysDoc: { bytes: Uint8Array; signed: KeysSigned } | null = null;
  private keysEtag: string | null = null;
  /** Lowest acceptable keys-document version (from state.json before a document is loaded). */
  private keysVersionFloor = 0;
  /** Version of the last floor reset applied (each is applied once). */
  private resetVersion = 0;
  /** After a floor reset: the serving bundle's serial no longer bounds what is accepted next. */
  private afterReset = false;
  /** The floor last written to state.json (null: never). */
  private persistedFloor: number | null = null;
  private readonly now: () => number;
  private readonly http: URL | null;
  private readonly dir: string | null;
  private manifestBytes: Uint8Array | null = null;
  private etag: string | null = null;
  private origin: ClientStatus['source'] = null;
  private loadedAt: number | null = null;
  private lastError: ClientError | null = null;
  private cacheError: ClientError | null = null;
  private lastCheckAt: number | null = null;
  private lastSuccessAt: number | null = null;
  private failures = 0;
  /** Long-poll wait the server offered on its last manifest answer, seconds (0: plain ETag polling). */
  private serverWait = 0;
  /** Whether the next poll goes out at once (a long-poll that ended normally) or after the interval. */
  private pollNow = false;
  /** Highest serial accepted (or seen in a verified cached manifest) and its payload hash. */
  private floor: { serial: number; sha256: string | null } = { serial: 0, sha256: null };
  private closed = false;
  /** Aborts requests in flight when the client closes (a held long-poll would otherwise keep close() waiting). */
  private readonly closing = new AbortController();
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  private staleTimer: ReturnType<typeof setTimeout> | null = null;
  private inflight: Promise<ClientStatus> | null = null;
  private queued: Promise<ClientStatus> | null = null;
  private readonly listeners = new Set<(change: BundleChange) => void>();
  private readonly readyPromise: Promise<boolean>;
  private settleReady!: (ready: boolean) => void;
  private readonly started: Promise<void>;
  /** The cold-start cache load; every check waits for it so that it verifies against its floor. */
  private readonly cachePhase: Promise<void>;

  constructor(options: ClientOptions) {
    if (typeof options.env !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/.test(options.env)) {
      throw new ClientOptionsError(`env must be an environment name, got ${JSON.stringify(options.env)}`);
    }
    if ((options.trustedKeys === undefined) === (options.trustRoot === undefined)) {
      throw new ClientOptionsError(
        'give exactly one of trustedKeys (fixed signing keys) or trustRoot (root keys; signing keys from keys.json): a client never trusts a bundle on its own say-so',
      );
    }
    this.keys = options.trustedKeys === undefined ? null : parseKeys(options.trustedKeys, 'trustedKeys');
    this.root = options.trustRoot === undefined ? null : parseKeys(options.trustRoot, 'trustRoot');
    const source = String(options.source);
    if (/^https?:\/\//i.test(source)) {
      this.http = new URL(source.endsWith('/') ? source : source + '/');
      this.dir = null;
    } else if (source.length > 0 && !/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
      this.http = null;
      this.dir = source;
    } else {
      throw new ClientOptionsError(`source must be an http(s) URL or a directory, got ${JSON.stringify(source)}`);
    }
    if (options.now !== undefined && typeof options.now !== 'function')
      throw new ClientOptionsError('now must be a function returning epoch ms');
    this.now = options.now ?? Date.now;
    const interval = options.pollIntervalMs ?? 30_000;
    this.o = {
      env: options.env,
      cacheDir: options.cacheDir ?? null,
      pollIntervalMs: interval,
      jitter: options.jitter ?? 0.1,
      retryBaseMs: options.retryBaseMs ?? Math.max(1, Math.min(1000, interval || 1000)),
      maxBackoffMs: options.maxBackoffMs ?? 5 * 60_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      maxManifestBytes: options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES,
      maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
      serveExpiredCache: options.serveExpiredCache ?? true,
      longPoll: options.longPoll ?? true,
      longPollWaitMs: options.longPollWaitMs ?? 25_000,
    };
    this.engine = new Engine({ sink: options.sink ?? null, exposures: options.exposures });
    this.readyPromise = new Promise<boolean>((resolve) => {
      this.settleReady = resolve;
    });
    const cacheDir = this.o.cacheDir;
    this.cachePhase =
      cacheDir === null
        ? Promise.resolve()
        : this.loadCache(cacheDir).catch((e: unknown) => {
            this.cacheError = {
              code: ClientCode.CACHE_INVALID,
              message: `last-known-good cache could not be loaded: ${e instanceof Error ? e.message : String(e)}`,
              at: this.now(),
            };
          });
    this.started = this.start();
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  private async start(): Promise<void> {
    await this.cachePhase;
    if (this.closed) return;
    // A refresh() called during the cache phase already is the first check (it waited for the cache).
    await (this.inflight ?? this.refresh());
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.o.pollIntervalMs <= 0) return;
    const delay =
      this.failures === 0 && this.pollNow
        ? 0
        : nextDelay(this.failures, {
            intervalMs: this.o.pollIntervalMs,
            jitter: this.o.jitter,
            retryBaseMs: this.o.retryBaseMs,
            maxBackoffMs: this.o.maxBackoffMs,
          });
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      void this.refresh().then(() => this.schedule());
    }, delay);
    this.pollTimer.unref();
  }

  /**
   * Resolves once a verified bundle (fetched, or from the verified disk cache) is active.
   * With `timeoutMs`, rejects with a `ClientNotReadyError` carrying the last error code instead.
   */
  async ready(timeoutMs?: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout =
      timeoutMs === undefined
        ? null
        : new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), timeoutMs);
          });
    const ok = await (timeout === null ? this.readyPromise : Promise.race([this.readyPromise, timeout]));
    clearTimeout(timer);
    if (!ok) {
      const e = this.lastError ?? this.cacheError;
      throw new ClientNotReadyError(
        this.closed
          ? 'client closed before a bundle was loaded'
          : `no verified bundle after ${timeoutMs} ms${e ? `: ${e.code} ${e.message}` : ''}`,
        e?.code ?? 'E_NOT_READY',
      );
    }
  }

  /**
   * Checks the source now (outside the poll schedule) and returns the resulting status. A check is
   * always started after the call: when one is already running, one more is queued behind it
   * (callers arriving meanwhile share that queued check). Called during the cold-start cache load,
   * the check waits for it, so it verifies against the cached bundle's serial.
   */
  refresh(): Promise<ClientStatus> {
    if (this.closed) return Promise.resolve(this.status());
    if (this.inflight === null) {
      this.inflight = this.check().finally(() => {
        this.inflight = null;
      });
      return this.inflight;
    }
    this.queued ??= this.inflight.then(() => {
      this.queued = null;
      return this.refresh();
    });
    return this.queued;
  }

  /** Stops polling and timers. The current table stays readable; the sink is the caller's to close. */
  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    if (this.staleTimer !== null) clearTimeout(this.staleTimer);
    this.pollTimer = null;
    this.staleTimer = null;
    this.settleReady(false);
    await this.started.catch(() => undefined);
    await this.queued?.catch(() => undefined);
    await this.inflight?.catch(() => undefined);
  }

  /**
   * Subscribes to swaps: `listener` gets what changed (serials and the names per section) after
   * each verified bundle becomes current. Returns the unsubscribe function. Listener errors are
   * swallowed, so a listener can never stop a swap.
   */
  onChange(listener: (change: BundleChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Where the client stands: whether a bundle is served, its serial, commit, age and expiry,
   * whether it is stale, the last fetch/verify error and cache error, and the check history.
   * Cheap (no I/O); suitable for a health endpoint.
   */
  status(): ClientStatus {
    const t = this.engine.table();
    const now = this.now();
    return {
      ready: t !== null,
      env: this.o.env,
      serial: t?.meta.serial ?? 0,
      commit: t?.meta.commit ?? null,
      source: this.origin,
      createdAt: t ? new Date(t.meta.createdAt).toISOString() : null,
      expiresAt: t ? new Date(t.meta.expiresAt).toISOString() : null,
      ageMs: t ? now - t.meta.createdAt : null,
      loadedAt: this.loadedAt,
      stale: t !== null && now >= t.meta.expiresAt,
      lastError: this.lastError,
      cacheError: this.cacheError,
      lastCheckAt: this.lastCheckAt,
      lastSuccessAt: this.lastSuccessAt,
      consecutiveFailures: this.failures,
      etag: this.etag,
      serialFloor: this.currentFloor(),
      floorPersisted: this.o.cacheDir === null ? null : this.persistedFloor === this.currentFloor(),
      keysVersion: this.keysDoc?.signed.version ?? null,
    };
  }

  private currentFloor(): number {
    return this.afterReset ? this.floor.serial : Math.max(this.floor.serial, this.engine.table()?.meta.serial ?? 0);
  }

  /**
   * What the verified bundle being served defines under `name` in one payload section, e.g.
   * `definition('models', 'chat')?.provider` or `definition('schemaMigrations', id)`; null before
   * the first bundle, for an unknown name, or a name that is not an own entry (`__proto__`, …).
   * Never throws. The object is the served bundle's: read it, do not change it.
   */
  definition<S extends DefinitionSection>(section: S, name: string): Readonly<BundlePayload[S][string]> | null {
    const payload = this.engine.table()?.payload;
    const entries = payload?.[section] as Record<string, BundlePayload[S][string]> | undefined;
    if (entries === undefined || typeof entries !== 'object' || !Object.hasOwn(entries, name)) return null;
    return entries[name] ?? null;
  }

  // ---- fetch / verify / swap ---------------------------------------------------------------------

  private async check(): Promise<ClientStatus> {
    await this.cachePhase;
    if (this.closed) return this.status();
    const at = this.now();
    this.lastCheckAt = at;
    let result: Ok | Failure;
    try {
      result = await this.fetchVerifySwap();
    } catch (e) {
      result = { ok: false, code: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) };
    }
    if (result.ok) {
      this.failures = 0;
      this.lastError = null;
      this.lastSuccessAt = at;
    } else {
      this.failures++;
      this.lastError = { code: result.code, message: result.message, at };
    }
    this.updateStale();
    return this.status();
  }

  /**
   * One poll: refresh the keys, fetch the manifest, and when it names a bundle not served yet,
   * fetch its payload, verify and install it, then cache it. Each step returns its failure.
   */
  private async fetchVerifySwap(): Promise<Ok | Failure> {
    const env = this.o.env;
    if (this.root !== null) {
      const k = await this.refreshKeys();
      if (!k.ok) return k;
    }
    const keys = this.keys;
    if (keys === null) return { ok: false, code: VerifyCode.KEYS_INVALID, message: 'no verified keys document yet' };
    const m = this.http !== null ? await this.fetchManifestHttp(this.http) : await this.readManifestDir();
    if (!m.ok) return m;
    if (m.body === null) return OK;
    const { body, etag } = m;
    if (this.manifestBytes !== null && Buffer.compare(body, this.manifestBytes) === 0) {
      this.etag = etag;
      return OK;
    }
    const current = this.engine.table();
    const vm = verifyManifest(body, {
      trustedKeys: keys,
      env,
      minSerial: this.currentFloor(),
      now: this.now(),
      maxBytes: this.o.maxManifestBytes,
      maxPayloadBytes: this.o.maxPayloadBytes,
    });
    if (!vm.ok) return vm;
    const signed = vm.value.signed;
    const refused = this.refuseSerial(signed, current);
    if (refused !== null) return refused;
    if (current !== null && signed.serial === current.meta.serial)
      return this.adoptRepublished(current, signed, body, etag);
    const p = await this.fetchPayload(signed);
    if (!p.ok) return p;
    const installed = this.verifyAndInstall(vm.value, body, p.body, this.http !== null ? 'network' : 'directory');
    if (!installed.ok) return installed;
    // A newer bundle won meanwhile: caching this one or remembering its ETag would roll back.
    if ('superseded' in installed) return OK;
    this.etag = etag;
    if (this.o.cacheDir !== null) {
      const w = await writeCache(this.o.cacheDir, env, body, p.body, this.cacheState(signed.payload.sha256));
      this.noteCacheWrite(w, signed.serial);
    }
    return OK;
  }

  /**
   * GET the manifest, conditional on the served bundle's ETag and long-polling when the server
   * offers it. `body: null` is 304 Not Modified: nothing to do.
   */
  private async fetchManifestHttp(base: URL): Promise<ManifestFetch> {
    const conditional = this.engine.table() ? this.etag : null;
    const waitSeconds =
      this.o.longPoll && conditional !== null && this.o.pollIntervalMs > 0
        ? Math.min(this.serverWait, Math.floor(this.o.longPollWaitMs / 1000))
        : 0;
    const sentAt = Date.now();
    this.pollNow = false;
    const r = await httpGet(new URL(`${encodeURIComponent(this.o.env)}/manifest.json`, base), {
      etag: conditional,
      maxBytes: this.o.maxManifestBytes,
      timeoutMs: this.o.requestTimeoutMs,
      waitSeconds,
      signal: this.closing.signal,
    });
    if (!r.ok) return r;
    this.serverWait = r.longPoll;
    // Re-poll at once only when the server offers long-poll and did hold this one (or had news):
    // a server that claims the offer but answers at once must not turn polling into a busy loop.
    this.pollNow =
      this.o.longPoll &&
      r.longPoll > 0 &&
      (waitSeconds === 0 || r.status === 200 || Date.now() - sentAt >= (waitSeconds * 1000) / 2);
    if (r.status === 304) {
      // Not modified relative to nothing: a server (or CDN) that answers 304 to an unconditional
      // request has given the client no bundle, and saying OK would leave it not ready, silently.
      if (conditional === null)
        return {
          ok: false,
          code: ClientCode.FETCH_STATUS,
          message: `manifest: HTTP 304 to a request without If-None-Match (a misconfigured server or cache); no bundle received`,
        };
      return { ok: true, body: null, etag: null };
    }
    return { ok: true, body: r.body, etag: r.etag };
  }

  /** Read the manifest from the bundle directory (no ETag there). */
  private async readManifestDir(): Promise<ManifestFetch> {
    const r = await readCapped(join(this.dir as string, this.o.env, 'manifest.json'), this.o.maxManifestBytes, {
      timeoutMs: this.o.requestTimeoutMs,
    });
    if (!r.ok) return r;
    return { ok: true, body: r.body, etag: null };
  }

  /**
   * Refuse a verified manifest whose serial breaks the rules the signature cannot: above the
   * ceiling of a root-signed floor reset, or a serial already seen with another payload.
   */
  private refuseSerial(signed: ManifestSigned, current: DecisionTable | null): Failure | null {
    const ceiling = this.ceiling();
    if (ceiling !== null && signed.serial > ceiling) {
      return {
        ok: false,
        code: VerifyCode.SERIAL_ABOVE_CEILING,
        message: `serial ${signed.serial} is above the ceiling ${ceiling} of the root-signed floor reset for ${this.o.env}`,
      };
    }
    if (
      current !== null &&
      signed.serial === current.meta.serial &&
      signed.payload.sha256 !== current.meta.payloadSha256
    ) {
      return {
        ok: false,
        code: ClientCode.SERIAL_CONFLICT,
        message: `serial ${signed.serial} is already being served with payload ${current.meta.payloadSha256}; a different payload under the same serial is refused`,
      };
    }
    if (
      current === null &&
      signed.serial === this.floor.serial &&
      this.floor.sha256 !== null &&
      signed.payload.sha256 !== this.floor.sha256
    ) {
      return {
        ok: false,
        code: ClientCode.SERIAL_CONFLICT,
        message: `serial ${signed.serial} was accepted before with payload ${this.floor.sha256}; a different payload under the same serial is refused`,
      };
    }
    return null;
  }

  /**
   * Same bundle re-published (another signature added, or re-signed with a later expiry): the
   * decisions stay; a later expiry is adopted (an earlier one is not: replaying an older signature
   * must not make the bundle stale sooner), and cached for the next cold start.
   */
  private async adoptRepublished(
    current: DecisionTable,
    signed: ManifestSigned,
    body: Buffer,
    etag: string | null,
  ): Promise<Ok> {
    this.manifestBytes = body;
    this.etag = etag;
    const expiresAt = Date.parse(signed.expires);
    if (expiresAt > current.meta.expiresAt) {
      this.engine.swap({ ...current, meta: { ...current.meta, createdAt: Date.parse(signed.createdAt), expiresAt } });
      this.armStaleTimer();
      if (this.o.cacheDir !== null)
        this.noteCacheWrite(
          await writeCacheFile(this.o.cacheDir, this.o.env, 'manifest.json', body),
          this.currentFloor(),
        );
    }
    return OK;
  }

  /** The payload the manifest names, capped at the length it signs (and the client's own cap). */
  private async fetchPayload(signed: ManifestSigned): Promise<Failure | { ok: true; body: Buffer }> {
    const env = this.o.env;
    const cap = Math.min(this.o.maxPayloadBytes, signed.payload.length);
    if (this.http !== null) {
      const payloadPath = `${encodeURIComponent(env)}/payload/${signed.payload.sha256}.json`;
      const r = await httpGet(new URL(payloadPath, this.http), { maxBytes: cap, timeoutMs: this.o.requestTimeoutMs });
      if (!r.ok) return r;
      if (r.status !== 200) return { ok: false, code: ClientCode.FETCH_STATUS, message: `payload: HTTP ${r.status}` };
      return { ok: true, body: r.body };
    }
    const r = await readCapped(join(this.dir as string, env, 'payload', `${signed.payload.sha256}.json`), cap, {
      timeoutMs: this.o.requestTimeoutMs,
    });
    if (!r.ok) return r;
    return { ok: true, body: r.body };
  }

  private cacheState(payloadSha256: string | null): CacheState {
    const state: CacheState = { highestSerial: this.currentFloor(), payloadSha256 };
    if (this.keysDoc !== null) state.keysVersion = this.keysDoc.signed.version;
    if (this.resetVersion > 0) state.resetVersion = this.resetVersion;
    return state;
  }

  private noteCacheWrite(w: { ok: true } | Failure, floor: number): void {
    if (w.ok) {
      this.persistedFloor = floor;
      this.cacheError = null;
    } else {
      this.cacheError = {
        code: w.code,
        message: `${w.message} (the rollback floor ${this.currentFloor()} is not persisted: a restart would forget it)`,
        at: this.now(),
      };
    }
  }

  /** The serial ceiling of the current keys document's floor reset for this environment, if any. */
  private ceiling(): number | null {
    return this.keysDoc === null ? null : (latestFloorReset(this.keysDoc.signed, this.o.env)?.ceiling ?? null);
  }

  /** Fetches keys.json (conditionally), verifies it against the root, installs it. */
  private async refreshKeys(): Promise<Ok | Failure> {
    let body: Buffer;
    let etag: string | null = null;
    if (this.http !== null) {
      const conditional = this.keysDoc !== null ? this.keysEtag : null;
      const r = await httpGet(new URL('keys.json', this.http), {
        etag: conditional,
        maxBytes: DEFAULT_MAX_KEYS_BYTES,
        timeoutMs: this.o.requestTimeoutMs,
      });
      if (!r.ok) return { ok: false, code: r.code, message: `keys.json: ${r.message}` };
      if (r.status === 304)
        return conditional !== null
          ? OK
          : {
              ok: false,
              code: ClientCode.FETCH_STATUS,
              message: 'keys.json: HTTP 304 to a request without If-None-Match',
            };
      body = r.body;
      etag = r.etag;
    } else {
      const r = await readCapped(join(this.dir as string, 'keys.json'), DEFAULT_MAX_KEYS_BYTES, {
        timeoutMs: this.o.requestTimeoutMs,
      });
      if (!r.ok) return { ok: false, code: r.code, message: `keys.json: ${r.message}` };
      body = r.body;
    }
    if (this.keysDoc !== null && Buffer.compare(body, this.keysDoc.bytes) === 0) {
      this.keysEtag = etag;
      return OK;
    }
    const installed = await this.installKeys(body, false);
    if (installed.ok) this.keysEtag = etag;
    return installed;
  }

  /**
   * Verifies a keys document against the root (never below the trusted version; an equal version
   * only byte-identical), makes its keys the bundle-signing keys and applies its floor reset once.
   */
  private async installKeys(bytes: Uint8Array, fromCache: boolean): Promise<Ok | Failure> {
    const v = verifyKeysDocument(bytes, {
      root: this.root as TrustedKeys,
      minVersion: Math.max(this.keysVersionFloor, this.keysDoc?.signed.version ?? 0),
      now: this.now(),
      allowExpired: fromCache,
    });
    if (!v.ok) return v;
    const signed = v.value.signed;
    if (this.keysDoc !== null && signed.version === this.keysDoc.signed.version) {
      return {
        ok: false,
        code: VerifyCode.KEYS_ROLLBACK,
        message: `keys.json: version ${signed.version} is already trusted with different content (a new key set needs a new version)`,
      };
    }
    this.keys = v.value.bundleKeys;
    this.keysDoc = { bytes, signed };
    // Re-verify the manifest under the new key set (a revoked signer's bundle must not pass as "unchanged").
    this.manifestBytes = null;
    this.etag = null;
    const reset = latestFloorReset(signed, this.o.env);
    let applied = false;
    if (reset !== null && reset.version > this.resetVersion) {
      this.resetVersion = reset.version;
      if (this.currentFloor() > reset.floor) {
        this.floor = { serial: reset.floor, sha256: null };
        this.afterReset = true;
        applied = true;
      }
    }
    const cacheDir = this.o.cacheDir;
    if (cacheDir !== null && !fromCache) {
      // The runaway bundle must not raise the floor again at the next cold start.
      if (applied) await dropCachedManifest(cacheDir, this.o.env);
      const k = await writeCacheFile(cacheDir, this.o.env, 'keys.json', bytes);
      const st = k.ok
        ? await writeCacheState(cacheDir, this.o.env, this.cacheState(this.afterReset ? null : this.floor.sha256))
        : k;
      this.noteCacheWrite(st, this.currentFloor());
    }
    return OK;
  }

  private verifyAndInstall(
    vm: VerifiedManifest,
    manifestBytes: Uint8Array,
    payloadBytes: Uint8Array,
    origin: 'network' | 'directory' | 'cache',
  ): Ok | Superseded | Failure {
    const signed = vm.signed;
    const vp = verifyPayload(
      payloadBytes,
      { sha256: signed.payload.sha256, length: signed.payload.length, env: signed.env, commit: signed.commit },
      { maxBytes: this.o.maxPayloadBytes },
    );
    if (!vp.ok) return vp;
    // verifyPayload checked the shape; compiling checks only the cross-references.
    const built = compileTable(vp.value, {
      serial: signed.serial,
      env: signed.env,
      commit: signed.commit,
      createdAt: Date.parse(signed.createdAt),
      expiresAt: Date.parse(signed.expires),
      payloadSha256: signed.payload.sha256,
    });
    if (!built.ok) return { ok: false, code: ClientCode.PAYLOAD_INVALID, message: built.message };
    // Re-check monotonicity at the moment of the swap (a cache load may race a fetch).
    const current = this.engine.table();
    if (current !== null && current.meta.serial >= signed.serial && !this.afterReset)
      return { ok: true, superseded: true };
    const change = this.engine.swap(built.table);
    this.afterReset = false;
    this.raiseFloor(signed.serial, signed.payload.sha256);
    this.manifestBytes = manifestBytes;
    this.origin = origin;
    this.loadedAt = this.now();
    this.armStaleTimer();
    this.settleReady(true);
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        /* a listener must not break the swap */
      }
    }
    return OK;
  }

  private raiseFloor(serial: number, sha256: string): void {
    if (serial > this.floor.serial) this.floor = { serial, sha256 };
    else if (serial === this.floor.serial && this.floor.sha256 === null) this.floor = { serial, sha256 };
  }

  /**
   * Cold start: first the rollback floor (state.json, then any cached manifest whose signature
   * verifies, even when its payload turns out to be damaged or it has expired), then the
   * last-known-good bundle itself, served only when it is not below that floor.
   */
  private async loadCache(cacheDir: string): Promise<void> {
    const env = this.o.env;
    const fail = (code: string, message: string): void => {
      this.cacheError = {
        code: ClientCode.CACHE_INVALID,
        message: `last-known-good cache rejected (${code}): ${message}`,
        at: this.now(),
      };
    };
    const st = await readCacheState(cacheDir, env);
    if (!st.ok) fail(st.code, st.message);
    else if (st.state !== null) {
      if (st.state.payloadSha256 !== null) this.raiseFloor(st.state.highestSerial, st.state.payloadSha256);
      else this.floor = { serial: Math.max(this.floor.serial, st.state.highestSerial), sha256: null };
      this.persistedFloor = st.state.highestSerial;
      this.keysVersionFloor = st.state.keysVersion ?? 0;
      this.resetVersion = st.state.resetVersion ?? 0;
    }
    if (this.root !== null) {
      // The cached keys document, re-verified against the root (expired is fine here: it still
      // names the keys the cached bundle was accepted under; the network check needs a fresh one).
      const k = await readCacheFile(cacheKeysPath(cacheDir, env), DEFAULT_MAX_KEYS_BYTES);
      if (!k.ok) return; // no keys document yet: nothing cached can be verified (first run)
      const installed = await this.installKeys(k.body, true);
      if (!installed.ok) return fail(installed.code, installed.message);
    }
    const keys = this.keys as TrustedKeys;
    const manifestPath = cacheManifestPath(cacheDir, env);
    try {
      await access(manifestPath);
    } catch {
      return; // first run: no cache yet, not an error
    }
    const m = await readCacheFile(manifestPath, this.o.maxManifestBytes);
    if (!m.ok) return fail(m.code, m.message);
    const vm = verifyManifest(m.body, {
      trustedKeys: keys,
      env,
      now: this.now(),
      maxBytes: this.o.maxManifestBytes,
      maxPayloadBytes: this.o.maxPayloadBytes,
      // Expiry is decided below: an expired manifest still says which serials were accepted.
      allowExpired: true,
    });
    if (!vm.ok) return fail(vm.code, vm.message);
    const signed = vm.value.signed;
    const ceiling = this.ceiling();
    if (ceiling !== null && signed.serial > ceiling)
      return fail(
        VerifyCode.SERIAL_ABOVE_CEILING,
        `cached serial ${signed.serial} is above the reset ceiling ${ceiling}`,
      );
    if (
      signed.serial === this.floor.serial &&
      this.floor.sha256 !== null &&
      signed.payload.sha256 !== this.floor.sha256
    ) {
      return fail(
        ClientCode.SERIAL_CONFLICT,
        `cached serial ${signed.serial} names payload ${signed.payload.sha256}, the recorded state ${this.floor.sha256}`,
      );
    }
    this.raiseFloor(signed.serial, signed.payload.sha256);
    if (signed.serial < this.floor.serial) {
      return fail(
        VerifyCode.SERIAL_TOO_LOW,
        `cached serial ${signed.serial} is below the highest accepted serial ${this.floor.serial}`,
      );
    }
    if (vm.value.expired && !this.o.serveExpiredCache) {
      return fail(VerifyCode.EXPIRED, `cached manifest expired at ${signed.expires}`);
    }
    const p = await readCacheFile(
      cachePayloadPath(cacheDir, env, vm.value.signed.payload.sha256),
      this.o.maxPayloadBytes,
    );
    if (!p.ok) return fail(p.code, p.message);
    const installed = this.verifyAndInstall(vm.value, m.body, p.body, 'cache');
    if (!installed.ok) return fail(installed.code, installed.message);
    if (st.ok) this.cacheError = null;
  }

  private armStaleTimer(): void {
    if (this.staleTimer !== null) clearTimeout(this.staleTimer);
    this.staleTimer = null;
    const t = this.engine.table();
    if (t === null || this.closed) return;
    const wait = t.meta.expiresAt - this.now();
    if (wait <= 0) {
      this.engine.setStale(true);
      return;
    }
    // setTimeout holds at most 2^31-1 ms; longer waits re-arm.
    this.staleTimer = setTimeout(() => this.armStaleTimer(), Math.min(wait, 2_147_483_647));
    this.staleTimer.unref();
  }

  private updateStale(): void {
    const t = this.engine.table();
    if (t !== null && this.now() >= t.meta.expiresAt) this.engine.setStale(true);
  }

  // ---- resolution (delegates to the engine; never throws) ---------------------------------------

  /**
   * Which snapshot serves model `alias` for this unit and conversation. A pinned conversation
   * (`ctx.conversation.snapshot`) keeps its snapshot unless it is retired or the target of a killed
   * rollout; then it is moved (rule `migrated` / `killed`) with a migration event. Store `pin` on
   * the conversation. Never throws: an unknown alias answers `reason: 'error'` with an `errorCode`.
   */
  resolveModel(alias: string, ctx?: ModelContext): ModelResolution {
    return this.engine.resolveModel(alias, ctx);
  }
  /**
   * The prompt version for this unit (the experiment variant when enrolled in a running
   * experiment, else the active version), rendered with `ctx.vars`, with the model snapshot and
   * params to call. Emits an exposure when an experiment decided. Never throws.
   */
  getPrompt(name: string, ctx?: PromptContext): Resolution<PromptValue | null> {
    return this.engine.getPrompt(name, ctx);
  }
  /** Whether flag `flag` is on for this unit (a killed flag is off for everyone). Never throws: unknown → false, `error`. */
  isEnabled(flag: string, ctx?: UnitContext): Resolution<boolean> {
    return this.engine.isEnabled(flag, ctx);
  }
  /** The experiment variant for this unit (null when not enrolled), with an exposure event when enrolled. Never throws. */
  assignExperiment(id: string, ctx?: UnitContext): Resolution<ExperimentValue> {
    return this.engine.assignExperiment(id, ctx);
  }
  /** The canary pipeline settings (candidate or control) for this unit, with an exposure event. Never throws. */
  canary(id: string, ctx?: UnitContext): Resolution<CanaryValue | null> {
    return this.engine.canary(id, ctx);
  }
  /** Where to write and in which order to read embeddings in the migration's current phase. Never throws. */
  embeddingRoute(migration: string): Resolution<EmbeddingRouteValue | null> {
    return this.engine.embeddingRoute(migration);
  }
  /**
   * Whether to call the rollout's candidate snapshot beside the primary for this request (sampled
   * over `ctx.requestId`, else the unit); units already on the candidate are not shadowed. Never throws.
   */
  shadow(alias: string, ctx?: ShadowContext): Resolution<ShadowValue> {
    return this.engine.shadow(alias, ctx);
  }
  /**
   * Records an application observation (feedback, relevance, latency …) attributed to a subject's
   * variant, stamped with the current serial and environment. Never throws; never blocks.
   */
  recordMetric(input: MetricInput): void {
    this.engine.recordMetric(input);
  }
  /** Records one shadowed request (both answers, latencies, similarity when scored). Never throws; never blocks. */
  recordShadow(input: ShadowInput): void {
    this.engine.recordShadow(input);
  }
  /**
   * Upgrades `record` with the bundle's schema migration `id` (pure, idempotent; unknown fields
   * kept) and emits a migration event when it changed. Never throws: failures are `{ ok: false, code }`.
   */
  upgrade(id: string, record: unknown, subjectId?: string): ReturnType<Engine['upgrade']> {
    return this.engine.upgrade(id, record, subjectId);
  }
}

function parseKeys(value: TrustedKeys | string, name: string): TrustedKeys {
  if (typeof value === 'string') {
    const parsed = parseTrustedKeys(value);
    if (!parsed.ok) throw new ClientOptionsError(`${name}: ${parsed.message}`);
    return parsed.value;
  }
  if (value && value.keys instanceof Map && value.keys.size > 0) return value;
  throw new ClientOptionsError(`${name} must name at least one key`);
}

/** Creates a client and starts loading (cache, then source). Await `ready()` before relying on answers. */
export function createClient(options: ClientOptions): SwitchyardClient {
  return new SwitchyardClient(options);
}
