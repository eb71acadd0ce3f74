import type { SwitchyardEvent } from './events.ts';
import { quoteIdent, type SqlExecutor } from './sql-client.ts';
import { partitionValid, type RefusalCounts } from './validate-event.ts';

/** An event with the identity the sink gave it (see schema.ts on idempotent retries). */
export interface StampedEvent {
  source: string;
  seq: number;
  event: SwitchyardEvent;
}

interface Column {
  name: string;
  type: 'text' | 'bigint' | 'float8';
  get: (e: never) => unknown;
}

const base: Column[] = [
  { name: 'time_ms', type: 'bigint', get: (e: SwitchyardEvent) => Math.round(e.time) },
  { name: 'serial', type: 'bigint', get: (e: SwitchyardEvent) => e.serial },
  { name: 'env', type: 'text', get: (e: SwitchyardEvent) => e.env },
];

const opt = (v: unknown): unknown => (v === undefined ? null : v);

/** What exposures and metrics share: which experiment/flag/canary, which variant, which unit. */
const subjectColumns = [
  { name: 'subject', type: 'text', get: (e: { subject: string }) => e.subject },
  { name: 'key', type: 'text', get: (e: { key: string }) => e.key },
  { name: 'variant', type: 'text', get: (e: { variant: string }) => e.variant },
  { name: 'unit_key', type: 'text', get: (e: { unitKey: string }) => e.unitKey },
] as const;

/** Column layout per table; one array parameter per column keeps each batch a single fixed-shape statement. */
const TABLES = {
  exposure: {
    table: 'exposures',
    columns: [...base, ...subjectColumns],
  },
  metric: {
    table: 'metrics',
    columns: [
      ...base,
      ...subjectColumns,
      { name: 'metric', type: 'text', get: (e: { metric: string }) => e.metric },
      { name: 'value', type: 'float8', get: (e: { value: number }) => e.value },
    ],
  },
  shadow: {
    table: 'shadow_pairs',
    columns: [
      ...base,
      { name: 'rollout', type: 'text', get: (e: { rollout: string }) => e.rollout },
      { name: 'model', type: 'text', get: (e: { model: string }) => e.model },
      { name: 'primary_snapshot', type: 'text', get: (e: { primary: string }) => e.primary },
      { name: 'candidate_snapshot', type: 'text', get: (e: { candidate: string }) => e.candidate },
      { name: 'unit_key', type: 'text', get: (e: { unitKey: string }) => e.unitKey },
      { name: 'request_id', type: 'text', get: (e: { requestId?: string }) => opt(e.requestId) },
      { name: 'similarity', type: 'float8', get: (e: { similarity?: number }) => opt(e.similarity) },
      { name: 'primary_output', type: 'text', get: (e: { primaryOutput?: string }) => opt(e.primaryOutput) },
      { name: 'candidate_output', type: 'text', get: (e: { candidateOutput?: string }) => opt(e.candidateOutput) },
      {
        name: 'primary_latency_ms',
        type: 'float8',
        get: (e: { primaryLatencyMs?: number }) => opt(e.primaryLatencyMs),
      },
      {
        name: 'candidate_latency_ms',
        type: 'float8',
        get: (e: { candidateLatencyMs?: number }) => opt(e.candidateLatencyMs),
      },
      { name: 'error', type: 'text', get: (e: { error?: string }) => opt(e.error) },
    ],
  },
  migration: {
    table: 'migration_events',
    columns: [
      ...base,
      { name: 'migration', type: 'text', get: (e: { migration: string }) => e.migration },
      { name: 'key', type: 'text', get: (e: { key: string }) => e.key },
      { name: 'subject_id', type: 'text', get: (e: { subjectId?: string }) => opt(e.subjectId) },
      { name: 'from_value', type: 'text', get: (e: { from: string }) => e.from },
      { name: 'to_value', type: 'text', get: (e: { to: string }) => e.to },
    ],
  },
} as const satisfies Record<SwitchyardEvent['type'], { table: string; columns: Column[] }>;

/** What one `insertEvents` call did: events offered to the database and events refused (never sent). */
export interface InsertReport {
  inserted: number;
  refused: RefusalCounts;
}

/**
 * Inserts one batch: one `INSERT … SELECT FROM unnest(arrays)` per event type present, all in the
 * caller's transaction. Rows already stored under the same (source, seq) are skipped. Events that
 * fail `validateEvent` are left out and counted, so one bad event cannot fail the whole statement
 * (a NUL byte or a fractional bigint would) nor put a NaN where analysis reads.
 */
export async function insertEvents(tx: SqlExecutor, schema: string, batch: StampedEvent[]): Promise<InsertReport> {
  const { valid, refused } = partitionValid(batch, (item) => item.event);
  const byType = new Map<SwitchyardEvent['type'], StampedEvent[]>();
  for (const item of valid) {
    const list = byType.get(item.event.type);
    if (list) list.push(item);
    else byType.set(item.event.type, [item]);
  }
  for (const [type, items] of byType) {
    const spec = TABLES[type];
    const columns: Column[] = spec.columns as unknown as Column[];
    const params: unknown[][] = [items.map((i) => i.source), items.map((i) => i.seq)];
    for (const column of columns)
      params.push(items.map((i) => (column.get as (e: SwitchyardEvent) => unknown)(i.event)));
    const names = ['source', 'seq', ...columns.map((c) => c.name)];
    const types = ['text', 'bigint', ...columns.map((c) => c.type)];
    const unnest = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
    await tx.query(
      `INSERT INTO ${quoteIdent(schema)}.${spec.table} (${names.join(', ')}) SELECT * FROM unnest(${unnest}) ON CONFLICT (source, seq) DO NOTHING`,
      params,
    );
  }
  return { inserted: valid.length, refused };
}
