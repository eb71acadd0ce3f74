/**
 * What each answer was served under, so that feedback arriving later (seconds or days) is recorded
 * against the variants the user actually saw — not against whatever the current bundle would decide
 * now. One row per answer in the service's own schema, keyed by the request id the answer carries,
 * and one row per (answer, metric) of feedback received, so that an answer's feedback counts once.
 */
import { quoteIdent, type SqlClient } from '@switchyard/data';

/** One analysis the answer counts for: an experiment arm, a canary pipeline, a model rollout side. */
export interface Attribution {
  subject: 'experiment' | 'canary' | 'model-rollout';
  key: string;
  variant: string;
}

export interface ServedResponse {
  requestId: string;
  unitKey: string;
  kind: 'chat' | 'summary';
  conversationId: string | null;
  attributions: Attribution[];
  createdAt: string;
}

export interface ResponseLog {
  record(response: Omit<ServedResponse, 'createdAt'>): Promise<void>;
  get(requestId: string): Promise<ServedResponse | undefined>;
  /**
   * Stores the one feedback value of (requestId, metric). True when this call stored it, false when
   * a value was already there (kept as it is): the primary key decides, so of concurrent posts
   * exactly one wins.
   */
  claimFeedback(requestId: string, metric: string, value: number): Promise<boolean>;
}

export const DEFAULT_SERVICE_SCHEMA = 'chat_service';

/** Creates the table when missing and returns the log over it. */
export async function openResponseLog(client: SqlClient, schema = DEFAULT_SERVICE_SCHEMA): Promise<ResponseLog> {
  const s = quoteIdent(schema);
  await client.exec(`CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.responses (
  request_id text PRIMARY KEY,
  unit_key text NOT NULL,
  kind text NOT NULL,
  conversation_id text,
  attributions jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${s}.feedback (
  request_id text NOT NULL,
  metric text NOT NULL,
  value double precision NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, metric)
);`);
  return {
    async record(r) {
      await client.query(
        `INSERT INTO ${s}.responses (request_id, unit_key, kind, conversation_id, attributions) VALUES ($1, $2, $3, $4, $5::jsonb)
         ON CONFLICT (request_id) DO NOTHING`,
        [r.requestId, r.unitKey, r.kind, r.conversationId, JSON.stringify(r.attributions)],
      );
    },
    async claimFeedback(requestId, metric, value) {
      const rows = await client.query<{ request_id: string }>(
        `INSERT INTO ${s}.feedback (request_id, metric, value) VALUES ($1, $2, $3) ON CONFLICT (request_id, metric) DO NOTHING RETURNING request_id`,
        [requestId, metric, value],
      );
      return rows.length === 1;
    },
    async get(requestId) {
      const rows = await client.query<{
        request_id: string;
        unit_key: string;
        kind: string;
        conversation_id: string | null;
        attributions: unknown;
        created_at: Date | string;
      }>(
        `SELECT request_id, unit_key, kind, conversation_id, attributions, created_at FROM ${s}.responses WHERE request_id = $1`,
        [requestId],
      );
      const row = rows[0];
      if (!row) return undefined;
      const attributions = (
        typeof row.attributions === 'string' ? JSON.parse(row.attributions) : row.attributions
      ) as Attribution[];
      return {
        requestId: row.request_id,
        unitKey: row.unit_key,
        kind: row.kind as ServedResponse['kind'],
        conversationId: row.conversation_id,
        attributions,
        createdAt: new Date(row.created_at).toISOString(),
      };
    },
  };
}
