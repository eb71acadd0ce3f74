import type { BatchedSink, SqlClient } from '@switchyard/data';
import type { SwitchyardClient } from '@switchyard/runtime';
import type { ShadowRunner } from './shadow-runner.ts';
import type { SwapHistory } from './swap-history.ts';

/** What `GET /status` reports on. */
export interface StatusSources {
  runtime: SwitchyardClient;
  endpoint: { offline: boolean; baseUrl: string };
  db: SqlClient;
  shadows: ShadowRunner;
  sink: BatchedSink;
  swaps: SwapHistory;
  /** Identifies this process's run: a hot swap keeps it, a restart changes it. */
  instanceId: string;
  startedAt: number;
}

/** The body of `GET /status`: the bundle served and its freshness, the models, database, shadows and events. */
export function serviceStatus(from: StatusSources) {
  const { runtime, endpoint, db, shadows, sink, instanceId, startedAt } = from;
  const s = runtime.status();
  return {
    ready: s.ready,
    env: s.env,
    bundle: {
      serial: s.serial,
      commit: s.commit,
      source: s.source,
      createdAt: s.createdAt,
      expiresAt: s.expiresAt,
      stale: s.stale,
      lastError: s.lastError,
      cacheError: s.cacheError,
      lastCheckAt: s.lastCheckAt,
      lastSuccessAt: s.lastSuccessAt,
      consecutiveFailures: s.consecutiveFailures,
      swaps: from.swaps.count(),
    },
    models: { offline: endpoint.offline, baseUrl: endpoint.baseUrl },
    database: { backend: db.backend },
    shadow: shadows.stats(),
    events: sink.stats(),
    instance: { id: instanceId, pid: process.pid, startedAt: new Date(startedAt).toISOString() },
    uptimeMs: Date.now() - startedAt,
  };
}
