/**
 * Shadow mode, prompt experiments and feedback in the chat service, over HTTP:
 * - the user's answer returns while the (deliberately held) candidate call has not even been
 *   answered; the pair is recorded afterwards with its similarity; a failing candidate is recorded
 *   as an error and never touches the user's request;
 * - summarization experiment arms served per the bundle's slots, exposures and feedback metrics in
 *   the event store, read back by the same analysis `switchyard analyze` runs;
 * - one feedback value per (answer, metric), concurrent posts included;
 * - a failing model call is a 502 with a generic message: the provider's text is logged, never sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf } from '@switchyard/runtime/bundle';
import { REPO_ROOT } from '../../examples/chat-service/src/cli.ts';
import { editExperiment } from '../../examples/chat-service/demo/demo-bundle.ts';
import { runAnalysis } from '../../src/analysis/run.ts';
import type { ExperimentAnalysis, ShadowAnalysis } from '../../src/analysis/types.ts';
import { loadProject } from '../../src/config/load-project.ts';
import type { Project } from '../../src/config/types.ts';
import {
  both,
  captureLog,
  NEW,
  OLD,
  ROLLOUT,
  rolloutAt,
  startHarness,
  waitFor,
  type Harness,
} from './chat-service-harness.ts';

const EXPERIMENT = 'summarization-v1-vs-v2';
const CANARY = 'rag-hybrid-large';

interface ShadowRow {
  request_id: string;
  primary_snapshot: string;
  candidate_snapshot: string;
  similarity: number | null;
  primary_output: string | null;
  candidate_output: string | null;
  error: string | null;
}

interface Turn {
  requestId: string;
  reply: { model: string; content: string };
  shadowed: boolean;
}

describe('chat service: shadow mode, experiments and feedback', () => {
  let h: Harness;
  let project: Project;
  const captured = captureLog();
  const shadowRows = async (requestId: string): Promise<ShadowRow[]> => {
    await h.flushEvents();
    return h.app.events.client.query<ShadowRow>(
      `SELECT request_id, primary_snapshot, candidate_snapshot, similarity, primary_output, candidate_output, error FROM switchyard.shadow_pairs WHERE request_id = $1`,
      [requestId],
    );
  };
  /** A conversation on the old snapshot: the user is picked outside the 1 % rollout (its candidate is shadowed). */
  const startConversation = async (name: string): Promise<string> => {
    let userId = name;
    for (let i = 0; bucketOf(ROLLOUT, userId) < 10_000; i++) userId = `${name}-${i}`;
    const r = await h.post<{ conversation: { id: string; modelVersion: string } }>('/conversations', { userId });
    expect(r.body.conversation.modelVersion).toBe(OLD);
    return r.body.conversation.id;
  };

  beforeAll(async () => {
    // 1 % of new conversations on the new snapshot (a rollout at 0 % would shadow too; 1 % also exercises the candidate), every
    // request of the other 99 % shadowed to it; everyone enrolled in the experiment.
    h = await startHarness({
      proxy: true,
      initial: both(rolloutAt(1, { sampleRate: 1 }), (p) => editExperiment(p, EXPERIMENT, { traffic: 100 })),
      service: { log: captured.log },
    });
    const loaded = await loadProject(REPO_ROOT);
    project = loaded.value!;
  });

  afterAll(async () => {
    await h?.close();
  });

  it('answers the user before the slow candidate call finishes, then records the scored pair', async () => {
    const proxy = h.proxy!;
    proxy.setRule(NEW, 'hold');
    const id = await startConversation('shadow-user');
    const turn = await h.post<Turn>(`/conversations/${id}/messages`, {
      content: 'How do I invite a teammate to my workspace?',
    });
    // The answer is here; the candidate has not answered (the proxy holds it until released below).
    expect(turn.status).toBe(200);
    expect(turn.body.shadowed).toBe(true);
    expect(turn.body.reply.model).toBe(OLD);
    expect(h.app.shadows.stats().recorded).toBe(0);
    expect(await shadowRows(turn.body.requestId)).toEqual([]);
    await waitFor('the background candidate call to reach the model server', () => proxy.held(NEW) === 1);
    // Other users are served meanwhile, unaffected by the held shadow call.
    const other = await h.post<Turn>(`/conversations/${await startConversation('another-user')}/messages`, {
      content: 'Can I export my conversation history as CSV?',
    });
    expect(other.status).toBe(200);
    const status = await h.get<{ shadow: { inFlight: number } }>('/status');
    expect(status.body.shadow.inFlight).toBeGreaterThanOrEqual(1);
    console.log(
      `shadow: user answer in ${turn.ms.toFixed(0)} ms while the candidate call was held (released only after the answer arrived)`,
    );

    proxy.release(NEW);
    await waitFor('both shadow pairs recorded', () => h.app.shadows.stats().recorded === 2);
    const [row] = await shadowRows(turn.body.requestId);
    expect(row).toMatchObject({
      primary_snapshot: OLD,
      candidate_snapshot: NEW,
      error: null,
      primary_output: turn.body.reply.content,
    });
    expect(row!.candidate_output).toBeTruthy();
    expect(row!.similarity).toBeGreaterThan(0);
    expect(row!.similarity).toBeLessThanOrEqual(1.000001);
  });

  it('records a failing candidate as a shadow error and never fails the user request', async () => {
    h.proxy!.setRule(NEW, 'fail');
    const failedBefore = h.app.shadows.stats().failed;
    const turn = await h.post<Turn>(`/conversations/${await startConversation('shadow-fail-user')}/messages`, {
      content: 'Why was my account locked?',
    });
    expect(turn.status).toBe(200);
    expect(turn.body.reply.model).toBe(OLD);
    await waitFor('the shadow failure to be recorded', () => h.app.shadows.stats().failed === failedBefore + 1);
    h.proxy!.setRule(NEW, null);
    const [row] = await shadowRows(turn.body.requestId);
    expect(row!.similarity).toBeNull();
    expect(row!.error).toMatch(/500/);

    // The shadow evidence is what `switchyard analyze shadow` reads.
    const analysis = (await runAnalysis(h.app.events, project, 'shadow', ROLLOUT)) as ShadowAnalysis;
    expect(analysis.kind).toBe('shadow');
    expect(analysis.pairs).toBe(3);
    expect(analysis.scored).toBe(2);
    expect(analysis.errors).toBe(1);
  });

  it('serves experiment arms per the bundle slots and records exposures, feedback and latency for analysis', async () => {
    await h.publish(both(rolloutAt(1), (p) => editExperiment(p, EXPERIMENT, { traffic: 100 })));
    const experiment = h.app.runtime.definition('experiments', EXPERIMENT)!;
    const users = Array.from({ length: 40 }, (_, i) => `agent-${i}`);
    const served = new Map<string, { requestId: string; variant: string; version: number }>();
    for (const userId of users) {
      const r = await h.post<{
        requestId: string;
        summary: string;
        prompt: { variant: string; version: number; experiment: string };
      }>('/summaries', {
        userId,
        ticket:
          'I was charged twice for my annual plan on March 3rd and I would like a refund for the duplicate charge.',
      });
      expect(r.status).toBe(200);
      expect(r.body.summary.length).toBeGreaterThan(0);
      expect(r.body.prompt.experiment).toBe(EXPERIMENT);
      // Independent of the service: the unit's bucket under the experiment seed, in the payload's slots.
      const bucket = bucketOf(experiment.seed, userId);
      const expected = experiment.variants.find((v) => bucket >= v.slotStart && bucket < v.enrolledEnd)!;
      expect(r.body.prompt.variant, userId).toBe(expected.name);
      expect(r.body.prompt.version).toBe(expected.version);
      served.set(userId, {
        requestId: r.body.requestId,
        variant: r.body.prompt.variant,
        version: r.body.prompt.version,
      });
    }
    const perVariant = (v: string) => [...served.values()].filter((s) => s.variant === v).length;
    expect(perVariant('control')).toBeGreaterThan(0);
    expect(perVariant('treatment')).toBeGreaterThan(0);

    for (const [, s] of served) {
      const fb = await h.post<{ recorded: Array<{ subject: string; key: string; variant: string }> }>('/feedback', {
        requestId: s.requestId,
        metric: 'agent_satisfaction',
        value: s.variant === 'treatment' ? 5 : 3,
      });
      expect(fb.status).toBe(202);
      expect(fb.body.recorded).toContainEqual({ subject: 'experiment', key: EXPERIMENT, variant: s.variant });
    }
    await h.flushEvents();
    const exposures = await h.app.events.queries.exposureUnits('experiment', EXPERIMENT);
    expect(exposures).toEqual([
      { variant: 'control', units: perVariant('control') },
      { variant: 'treatment', units: perVariant('treatment') },
    ]);
    const satisfaction = await h.app.events.queries.metricByVariant('experiment', EXPERIMENT, 'agent_satisfaction');
    expect(satisfaction.map((m) => [m.variant, m.n, m.mean])).toEqual([
      ['control', perVariant('control'), 3],
      ['treatment', perVariant('treatment'), 5],
    ]);
    const latency = await h.app.events.queries.metricByVariant('experiment', EXPERIMENT, 'latency_ms');
    expect(latency.map((m) => m.n)).toEqual([perVariant('control'), perVariant('treatment')]);

    // What `switchyard analyze experiment` computes from the same tables.
    const analysis = (await runAnalysis(h.app.events, project, 'experiment', EXPERIMENT)) as ExperimentAnalysis;
    expect(analysis.kind).toBe('experiment');
    expect(analysis.variants.map((v) => [v.variant, v.exposed, v.n])).toEqual([
      ['control', perVariant('control'), perVariant('control')],
      ['treatment', perVariant('treatment'), perVariant('treatment')],
    ]);
  });

  it('records chat-turn feedback for the canary pipeline and the model rollout the user was served', async () => {
    const userId = 'relevance-user';
    const created = await h.post<{ conversation: { id: string; modelVersion: string } }>('/conversations', { userId });
    const id = created.body.conversation.id;
    const rolloutVariant = bucketOf(ROLLOUT, userId) < 10_000 ? 'candidate' : 'control';
    expect(created.body.conversation.modelVersion).toBe(rolloutVariant === 'candidate' ? NEW : OLD);
    const turn = await h.post<Turn & { search: { pipeline: { variant: string } } }>(`/conversations/${id}/messages`, {
      content: 'How long does a refund take?',
    });
    const expectedVariant = bucketOf(CANARY, userId) < 100_000 ? 'candidate' : 'control';
    expect(turn.body.search.pipeline.variant).toBe(expectedVariant);
    const fb = await h.post<{ recorded: unknown[] }>('/feedback', {
      requestId: turn.body.requestId,
      metric: 'relevance',
      value: 1,
    });
    expect(fb.status).toBe(202);
    expect(fb.body.recorded).toEqual([
      { subject: 'model-rollout', key: ROLLOUT, variant: rolloutVariant },
      { subject: 'canary', key: CANARY, variant: expectedVariant },
    ]);
    await h.flushEvents();
    const rows = await h.app.events.client.query<{ subject: string; variant: string }>(
      `SELECT subject, variant FROM switchyard.metrics WHERE unit_key = $1 AND metric = 'relevance' ORDER BY subject`,
      [userId],
    );
    expect(rows).toEqual([
      { subject: 'canary', variant: expectedVariant },
      { subject: 'model-rollout', variant: rolloutVariant },
    ]);

    // One value per (answer, metric): a second post is refused and records nothing.
    const again = await h.post<{ error: { code: string; message: string } }>('/feedback', {
      requestId: turn.body.requestId,
      metric: 'relevance',
      value: 0,
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('E_FEEDBACK_EXISTS');
    // Concurrent posts of another metric: exactly one counts.
    const burst = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        h.post<{ error?: { code: string } }>('/feedback', {
          requestId: turn.body.requestId,
          metric: 'user_satisfaction',
          value: i,
        }),
      ),
    );
    expect(burst.map((r) => r.status).sort()).toEqual([202, 409, 409, 409, 409, 409]);
    expect(burst.filter((r) => r.status === 409).every((r) => r.body.error?.code === 'E_FEEDBACK_EXISTS')).toBe(true);
    // The guardrail metric the service records itself cannot be posted.
    const reserved = await h.post<{ error: { code: string } }>('/feedback', {
      requestId: turn.body.requestId,
      metric: 'latency_ms',
      value: 1,
    });
    expect(reserved.status).toBe(400);
    await h.flushEvents();
    const counted = await h.app.events.client.query<{ metric: string; n: number | string }>(
      `SELECT metric, count(*) AS n FROM switchyard.metrics WHERE unit_key = $1 AND subject = 'canary' GROUP BY metric ORDER BY metric`,
      [userId],
    );
    expect(counted.map((r) => [r.metric, Number(r.n)])).toEqual([
      ['relevance', 1],
      ['user_satisfaction', 1],
    ]);

    const unknown = await h.post<{ error: { code: string } }>('/feedback', { requestId: 'no-such-request', value: 1 });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('E_REQUEST_NOT_FOUND');
    for (const bad of [
      { requestId: turn.body.requestId, value: 'good' },
      { requestId: turn.body.requestId, metric: 'Bad Name', value: 1 },
    ]) {
      const r = await h.post<{ error: { code: string } }>('/feedback', bad);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('E_BAD_REQUEST');
    }
  });

  it('answers a failing model call with 502 E_MODEL_UNAVAILABLE and a generic message; the provider text goes to the log', async () => {
    const id = await startConversation('model-down-user');
    h.proxy!.setRule(OLD, 'fail');
    try {
      const turn = await h.post<{ error: { code: string; message: string } }>(`/conversations/${id}/messages`, {
        content: 'Anyone there?',
      });
      expect(turn.status).toBe(502);
      expect(turn.body.error.code).toBe('E_MODEL_UNAVAILABLE');
      // The proxy's error body ("injected failure for the shadow test") stands in for a provider's text such as "Incorrect API key provided: sk-…".
      expect(turn.text).not.toMatch(/injected|failure|server_error/);
      expect(turn.body.error.message).toMatch(
        /^the model gpt-4o-2024-05-13 could not answer; retry later \(request [0-9a-f-]{36}\)$/,
      );
      const requestId = turn.body.error.message.match(/request ([0-9a-f-]{36})/)?.[1];
      expect(requestId).toBeDefined();
      expect(captured.lines).toContainEqual(
        expect.objectContaining({
          fields: expect.objectContaining({
            requestId,
            code: 'E_MODEL_UNAVAILABLE',
            detail: expect.stringMatching(/injected failure/),
          }),
        }),
      );
    } finally {
      h.proxy!.setRule(OLD, null);
    }
    // Nothing was stored for the failed turn.
    const stored = await h.get<{ conversation: { messages: unknown[] } }>(`/conversations/${id}`);
    expect(stored.body.conversation.messages).toEqual([]);
  });
});
