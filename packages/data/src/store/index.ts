/** The event store: schema, batched sink, evidence queries on PGlite or PostgreSQL. */
export {
  openStore,
  openSqlClient,
  StoreError,
  defaultStoreDir,
  storeOptionsFromEnv,
  DEFAULT_STORE_SCHEMA,
  type DatabaseOptions,
  type DatabaseSelection,
  type EventStore,
  type StoreOptions,
} from './store.ts';
export { BatchedSink, type BatchedSinkOptions, type BatchedSinkStats } from './batched-sink.ts';
export { validateEvent, partitionValid, type RefusalCounts, type RefusalReason } from './validate-event.ts';
export { decisionStateStore, type DecisionStateStore, type StoredLookState } from './decision-state.ts';
export { STORE_MIGRATIONS, migrateStore, type MigrationReport } from './schema.ts';
export { insertEvents, type InsertReport, type StampedEvent } from './insert.ts';
export {
  evidenceQueries,
  type EvidenceFilter,
  type EvidenceQueries,
  type MetricSeries,
  type ShadowPairRow,
  type ShadowSummary,
  type Subject,
  type VariantMetric,
  type VariantUnits,
} from './queries.ts';
export type { SqlClient, SqlExecutor } from './sql-client.ts';
export { stampJsonlEvents, type JsonlProblem } from './jsonl-events.ts';
export { createCollector, type Collector, type CollectorOptions, type CollectorStats } from './collector.ts';
