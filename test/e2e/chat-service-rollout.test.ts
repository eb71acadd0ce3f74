/**
 * The chat service over real HTTP, on real signed bundles (key generated here, published to a
 * directory, served by the real bundle server) and the offline model server:
 * 1. a conversation started before a rollout keeps its model after the rollout reaches 100 %;
 * 2. new conversations get the new model in the rollout's share, exactly per the runtime's bucketing;
 * 3. a kill switch published mid-traffic takes effect without a restart and without a failed request,
 *    for new conversations and for conversations that started on the killed snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf, percentToPpm } from '@switchyard/runtime/bundle';
import { NEW, OLD, ROLLOUT, rolloutAt, startHarness, waitFor, type Harness } from './chat-service-harness.ts';

interface Created {
  conversation: { id: string; userId: string; modelVersion: string; revision: number };
  model: { snapshot: string; reason: string; serial: number };
}
interface Turn {
  requestId: string;
  reply: { content: string; model: string };
  model: { snapshot: string; reason: string; serial: number };
  migration: { from: string; to: string; reason: string } | null;
}

describe('chat service: rollout, pinning and kill switch over HTTP', () => {
  let h: Harness;

  beforeAll(async () => {
    // Before the rollout: 0 % of new conversations on the new snapshot (no shadow sampling in this file,
    // so every call the offline server counts is a user-facing one).
    h = await startHarness({ initial: rolloutAt(0) });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('keeps a conversation started before the rollout on its snapshot on every turn up to 100 %', async () => {
    const created = await h.post<Created>('/conversations', { userId: 'early-user' });
    expect(created.status).toBe(201);
    expect(created.body.conversation.modelVersion).toBe(OLD);
    expect(created.body.model.reason).toBe('default');
    const id = created.body.conversation.id;

    for (const percent of [25, 100]) {
      const serial = await h.publish(rolloutAt(percent));
      const before = { ...h.models.stats.byModel };
      const turn = await h.post<Turn>(`/conversations/${id}/messages`, {
        content: `Does my plan renew automatically? (stage ${percent} %)`,
      });
      expect(turn.status).toBe(200);
      expect(turn.body.model).toMatchObject({ snapshot: OLD, reason: 'pinned', serial });
      // The model that actually answered: the response's `model` field and the offline server's counts.
      expect(turn.body.reply.model).toBe(OLD);
      expect((h.models.stats.byModel[OLD] ?? 0) - (before[OLD] ?? 0)).toBe(1);
      expect((h.models.stats.byModel[NEW] ?? 0) - (before[NEW] ?? 0)).toBe(0);
    }

    // The same user's new conversation does get the new snapshot at 100 %: the pin, not the user, kept the old one.
    const fresh = await h.post<Created>('/conversations', { userId: 'early-user' });
    expect(fresh.body.conversation.modelVersion).toBe(NEW);
    expect(fresh.body.model.reason).toBe('rollout');

    const stored = await h.get<{
      conversation: { modelVersion: string; messages: Array<{ role: string; model: string }> };
    }>(`/conversations/${id}`);
    expect(stored.body.conversation.modelVersion).toBe(OLD);
    expect(stored.body.conversation.messages).toHaveLength(4);
    expect(stored.body.conversation.messages.every((m) => m.model === OLD)).toBe(true);
  });

  it('gives new conversations the new snapshot in the rollout share, for exactly the units the runtime buckets in', async () => {
    const serial = await h.publish(rolloutAt(25));
    const users = Array.from({ length: 400 }, (_, i) => `share-user-${i}`);
    const got = new Map<string, Created>();
    // A few at a time, over HTTP, like real traffic.
    for (let i = 0; i < users.length; i += 8) {
      const batch = await Promise.all(
        users.slice(i, i + 8).map((userId) => h.post<Created>('/conversations', { userId })),
      );
      batch.forEach((r, j) => {
        expect(r.status).toBe(201);
        got.set(users[i + j]!, r.body);
      });
    }
    const threshold = percentToPpm(25);
    let onNew = 0;
    for (const userId of users) {
      const c = got.get(userId)!;
      expect(c.model.serial).toBe(serial);
      // Independent of the service: the bucketing of ARCHITECTURE invariant 3, with the rollout's seed (the flag name).
      const expected = bucketOf(ROLLOUT, userId) < threshold ? NEW : OLD;
      expect(c.conversation.modelVersion, userId).toBe(expected);
      expect(c.model.reason).toBe(expected === NEW ? 'rollout' : 'default');
      if (expected === NEW) onNew++;
    }
    const share = onNew / users.length;
    const sigma = Math.sqrt((0.25 * 0.75) / users.length);
    console.log(
      `rollout 25 %: ${onNew}/${users.length} new conversations on ${NEW} (${(share * 100).toFixed(1)} %, ±4σ = ±${(4 * sigma * 100).toFixed(1)} points)`,
    );
    expect(Math.abs(share - 0.25)).toBeLessThan(4 * sigma);
  });

  it('applies a kill switch published mid-traffic without a restart and without a failed request', async () => {
    await h.publish(rolloutAt(100));
    const instance = (await h.get<{ instance: { id: string; pid: number } }>('/status')).body.instance;
    const results: Array<{
      status: number;
      serial: number;
      snapshot: string;
      reason: string;
      turn: number;
      answeredBy: string;
      moved: string | null;
    }> = [];
    let stop = false;
    let n = 0;
    const worker = async (w: number) => {
      while (!stop) {
        const userId = `traffic-${w}-${n++}`;
        const c = await h.post<Created>('/conversations', { userId });
        const t =
          c.status === 201
            ? await h.post<Turn>(`/conversations/${c.body.conversation.id}/messages`, {
                content: 'How do I reset my password?',
              })
            : null;
        results.push({
          status: c.status === 201 && t ? t.status : c.status,
          serial: c.body?.model?.serial ?? -1,
          snapshot: c.body?.conversation?.modelVersion ?? '',
          reason: c.body?.model?.reason ?? '',
          turn: t?.status ?? 0,
          answeredBy: t?.body?.reply?.model ?? '',
          moved: t?.body?.migration?.reason ?? null,
        });
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    await waitFor('some traffic before the kill', () => results.length >= 12);
    const published = performance.now();
    const killedSerial = (await h.publisher.publish(rolloutAt(100, { killed: true }))).serial;
    // The swap happens in the running service (the runtime client polls the bundle server every 100 ms).
    await waitFor('the service to swap to the killed bundle', () => h.app.runtime.status().serial >= killedSerial);
    const swapMs = performance.now() - published;
    const atSwap = results.length;
    await waitFor('traffic after the kill', () => results.length >= atSwap + 16);
    stop = true;
    await Promise.all(workers);

    expect(results.filter((r) => r.status < 200 || r.status >= 300 || r.turn !== 200)).toEqual([]);
    const before = results.filter((r) => r.serial < killedSerial);
    const after = results.filter((r) => r.serial >= killedSerial);
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThanOrEqual(16);
    // A conversation created on NEW whose turn ran after the swap was moved back to OLD by that turn.
    expect(
      before.every(
        (r) =>
          r.snapshot === NEW &&
          r.reason === 'rollout' &&
          (r.answeredBy === NEW ? r.moved === null : r.answeredBy === OLD && r.moved === 'killed'),
      ),
    ).toBe(true);
    expect(after.every((r) => r.snapshot === OLD && r.reason === 'killed' && r.answeredBy === OLD)).toBe(true);
    console.log(
      `kill switch mid-traffic: ${results.length} conversations + turns, all 2xx; ${before.length} before the swap on ${NEW}, ${after.length} after on ${OLD} (killed); publish → swap ${swapMs.toFixed(0)} ms (poll 100 ms, 4 request loops running)`,
    );

    // Same process, same instance: a hot swap, not a restart.
    const status = await h.get<{
      instance: { id: string; pid: number };
      bundle: { serial: number; lastError: unknown };
    }>('/status');
    expect(status.body.instance).toEqual(instance);
    expect(status.body.bundle.serial).toBe(killedSerial);
    expect(status.body.bundle.lastError).toBeNull();
  });
});
