import { describe, expect, it } from 'vitest';
import { createMemorySink, upgradeRecord } from '../src/index.ts';
import {
  bucketOf,
  buildTable,
  compileTable,
  compileTemplate,
  payloadShapeError,
  Engine,
  renderTemplate,
} from '../src/tools.ts';
import type { BundlePayload, ExposureEvent, MigrationEvent } from '../src/index.ts';
import type { DecisionTable } from '../src/tools.ts';
import { COMMIT, demoPayload } from './helpers/bundles.ts';

function table(payload: BundlePayload, serial = 1, expiresAt = Date.now() + 86_400_000): DecisionTable {
  const r = buildTable(payload, {
    serial,
    env: payload.env,
    commit: COMMIT,
    createdAt: Date.now(),
    expiresAt,
    payloadSha256: 'f'.repeat(64),
  });
  if (!r.ok) throw new Error(r.message);
  return r.table;
}

function engine(payload = demoPayload(), exposures?: { flags?: boolean }) {
  const sink = createMemorySink();
  const e = new Engine({ sink, exposures });
  e.swap(table(payload));
  return { e, sink };
}

/** A unit inside / outside a percentage under `seed`. */
function unitWhere(seed: string, test: (bucket: number) => boolean): string {
  for (let i = 0; ; i++) if (test(bucketOf(seed, `u-${i}`))) return `u-${i}`;
}

const ROLL = 'chat-gpt-4o-2024-08-06';

describe('resolveModel', () => {
  it('rollout decides new conversations; pin is what to store', () => {
    const { e, sink } = engine();
    const inside = unitWhere(ROLL, (b) => b < 250_000);
    const outside = unitWhere(ROLL, (b) => b >= 250_000);
    expect(e.resolveModel('chat', { unitKey: inside })).toMatchObject({
      value: 'gpt-4o-2024-08-06',
      reason: 'rollout',
      pin: 'gpt-4o-2024-08-06',
      serial: 1,
      params: { temperature: 0.3 },
    });
    expect(e.resolveModel('chat', { unitKey: outside })).toMatchObject({
      value: 'gpt-4o-2024-05-13',
      reason: 'default',
      pin: 'gpt-4o-2024-05-13',
    });
    const ex = sink.events() as ExposureEvent[];
    expect(ex.map((x) => [x.subject, x.key, x.variant])).toEqual([
      ['model-rollout', ROLL, 'candidate'],
      ['model-rollout', ROLL, 'control'],
    ]);
  });

  it('a pinned conversation keeps its snapshot whatever the rollout says', () => {
    const { e } = engine();
    const inside = unitWhere(ROLL, (b) => b < 250_000);
    expect(e.resolveModel('chat', { unitKey: inside, conversation: { snapshot: 'gpt-4o-2024-05-13' } })).toMatchObject({
      value: 'gpt-4o-2024-05-13',
      reason: 'pinned',
    });
  });

  it('a retired snapshot is migrated deliberately, with an event', () => {
    const { e, sink } = engine();
    const outside = unitWhere(ROLL, (b) => b >= 250_000);
    const r = e.resolveModel('chat', { unitKey: outside, conversation: { id: 'conv-9', snapshot: 'gpt-4-0613' } });
    expect(r).toMatchObject({
      value: 'gpt-4o-2024-05-13',
      reason: 'migrated',
      migratedFrom: 'gpt-4-0613',
      pin: 'gpt-4o-2024-05-13',
    });
    const m = sink.events().find((x) => x.type === 'migration') as MigrationEvent;
    expect(m).toMatchObject({
      migration: 'conversation-model',
      key: 'chat',
      subjectId: 'conv-9',
      from: 'gpt-4-0613',
      to: 'gpt-4o-2024-05-13',
      serial: 1,
    });
  });

  it('follow mode ignores the stored snapshot and does not pin', () => {
    const { e } = engine();
    expect(e.resolveModel('fast', { conversation: { snapshot: 'old' } })).toMatchObject({
      value: 'gpt-4o-mini-2024-07-18',
      reason: 'default',
      pin: null,
      provider: { type: 'openai-compatible' },
    });
  });

  it('killed rollout serves the default to everyone', () => {
    const { e } = engine(
      demoPayload('production', (p) => {
        p.flags[ROLL]!.killed = true;
        p.flags[ROLL]!.thresholdPpm = 0;
      }),
    );
    for (let i = 0; i < 200; i++)
      expect(e.resolveModel('chat', { unitKey: `k${i}` })).toMatchObject({
        value: 'gpt-4o-2024-05-13',
        reason: 'killed',
      });
  });

  it('a killed rollout moves conversations pinned to its target back, with an event; other pins stay', () => {
    const { e, sink } = engine(
      demoPayload('production', (p) => {
        p.flags[ROLL]!.killed = true;
        p.flags[ROLL]!.thresholdPpm = 0;
      }),
    );
    const r = e.resolveModel('chat', {
      unitKey: 'u-1',
      conversation: { id: 'conv-new', snapshot: 'gpt-4o-2024-08-06' },
    });
    expect(r).toMatchObject({
      value: 'gpt-4o-2024-05-13',
      reason: 'killed',
      rule: 'killed',
      migratedFrom: 'gpt-4o-2024-08-06',
      pin: 'gpt-4o-2024-05-13',
    });
    const m = sink.events().filter((x) => x.type === 'migration') as MigrationEvent[];
    expect(m).toEqual([
      expect.objectContaining({
        migration: 'conversation-model',
        key: 'chat',
        subjectId: 'conv-new',
        from: 'gpt-4o-2024-08-06',
        to: 'gpt-4o-2024-05-13',
      }),
    ]);
    // A conversation on the model's own snapshot is untouched, and no event is emitted for it.
    const old = e.resolveModel('chat', {
      unitKey: 'u-1',
      conversation: { id: 'conv-old', snapshot: 'gpt-4o-2024-05-13' },
    });
    expect(old).toMatchObject({ value: 'gpt-4o-2024-05-13', reason: 'pinned' });
    expect(old.migratedFrom).toBeUndefined();
    expect(sink.events().filter((x) => x.type === 'migration')).toHaveLength(1);
    // Without the kill, the same conversation keeps the candidate it started on.
    expect(
      engine().e.resolveModel('chat', { unitKey: 'u-1', conversation: { snapshot: 'gpt-4o-2024-08-06' } }),
    ).toMatchObject({ value: 'gpt-4o-2024-08-06', reason: 'pinned' });
  });

  it('unknown alias, no bundle, no unit key → error with a code, never a throw', () => {
    const { e } = engine();
    expect(e.resolveModel('nope')).toMatchObject({ value: null, reason: 'error', errorCode: 'NOT_FOUND' });
    expect(new Engine().resolveModel('chat')).toMatchObject({ reason: 'error', errorCode: 'NOT_READY', serial: 0 });
    expect(e.resolveModel('chat', {})).toMatchObject({
      value: 'gpt-4o-2024-05-13',
      reason: 'error',
      errorCode: 'MISSING_UNIT_KEY',
    });
  });

  it('a missing unit key yields no pin: the fallback snapshot is not a decision to store', () => {
    const { e } = engine();
    const r = e.resolveModel('chat', {});
    expect(r).toMatchObject({ rule: 'error', errorCode: 'MISSING_UNIT_KEY', pin: null });
    expect(r.value).toBe('gpt-4o-2024-05-13');
    expect(e.resolveModel('chat', { unitKey: 'u-1' }).pin).toMatch(/^gpt-4o-/);
  });
});

describe('templates read only own properties of vars', () => {
  it('{{constructor}} / {{toString}} / {{__proto__}} are missing, not rendered from the prototype', () => {
    const t = compileTemplate('a {{constructor}} b {{toString}} c {{__proto__}} d {{text}}');
    const missing: string[] = [];
    expect(renderTemplate(t, { text: 'T' }, missing)).toBe('a {{constructor}} b {{toString}} c {{__proto__}} d T');
    expect(missing).toEqual(['constructor', 'toString', '__proto__']);
    const own: string[] = [];
    expect(
      renderTemplate(
        t,
        Object.assign(Object.create(null) as Record<string, unknown>, { constructor: 'C', toString: 'S', text: 'T' }),
        own,
      ),
    ).toBe('a C b S c {{__proto__}} d T');
    expect(own).toEqual(['__proto__']);
  });
});

describe('isEnabled', () => {
  it('percentage, kill switch, unknown flag', () => {
    const { e } = engine();
    const inside = unitWhere('new-onboarding-tips', (b) => b < 250_000);
    const outside = unitWhere('new-onboarding-tips', (b) => b >= 250_000);
    expect(e.isEnabled('new-onboarding-tips', { unitKey: inside })).toEqual({
      value: true,
      reason: 'rollout',
      rule: 'rollout',
      serial: 1,
    });
    expect(e.isEnabled('new-onboarding-tips', { unitKey: outside })).toEqual({
      value: false,
      reason: 'default',
      rule: 'default',
      serial: 1,
    });
    expect(e.isEnabled('missing', { unitKey: inside })).toMatchObject({
      value: false,
      reason: 'error',
      errorCode: 'NOT_FOUND',
    });
    const killed = engine(
      demoPayload('production', (p) => {
        p.flags['new-onboarding-tips']!.killed = true;
      }),
    ).e;
    expect(killed.isEnabled('new-onboarding-tips', { unitKey: inside })).toMatchObject({
      value: false,
      reason: 'killed',
    });
  });

  it('share of units on matches the percentage', () => {
    const { e } = engine();
    let on = 0;
    for (let i = 0; i < 20_000; i++) if (e.isEnabled('new-onboarding-tips', { unitKey: `x${i}` }).value) on++;
    expect(Math.abs(on / 20_000 - 0.25)).toBeLessThan(0.015);
  });

  it('flag exposures only when asked for', () => {
    const quiet = engine();
    quiet.e.isEnabled('new-onboarding-tips', { unitKey: 'a' });
    expect(quiet.sink.events()).toHaveLength(0);
    const loud = engine(demoPayload(), { flags: true });
    loud.e.isEnabled('new-onboarding-tips', { unitKey: 'a' });
    expect(loud.sink.events()).toHaveLength(1);
  });
});

describe('experiments and prompts', () => {
  const EXP = 'summarization-v1-vs-v2';
  it('assignExperiment: slots, enrolment and an exposure event', () => {
    const { e, sink } = engine();
    const control = unitWhere(EXP, (b) => b < 250_000);
    const treatment = unitWhere(EXP, (b) => b >= 500_000 && b < 750_000);
    const out = unitWhere(EXP, (b) => b >= 250_000 && b < 500_000);
    expect(e.assignExperiment(EXP, { unitKey: control })).toMatchObject({
      value: { variant: 'control', version: 1 },
      reason: 'experiment',
    });
    expect(e.assignExperiment(EXP, { unitKey: treatment })).toMatchObject({
      value: { variant: 'treatment', version: 2 },
      reason: 'experiment',
    });
    expect(e.assignExperiment(EXP, { unitKey: out })).toMatchObject({
      value: { variant: null, version: null },
      reason: 'default',
    });
    const ex = sink.events() as ExposureEvent[];
    expect(ex.map((x) => [x.subject, x.variant, x.unitKey])).toEqual([
      ['experiment', 'control', control],
      ['experiment', 'treatment', treatment],
    ]);
  });

  it('a stopped experiment enrols nobody', () => {
    const { e } = engine(
      demoPayload('production', (p) => {
        p.experiments[EXP]!.status = 'stopped';
      }),
    );
    const treatment = unitWhere(EXP, (b) => b >= 500_000 && b < 750_000);
    expect(e.assignExperiment(EXP, { unitKey: treatment })).toMatchObject({
      value: { variant: null },
      reason: 'default',
    });
    expect(e.getPrompt('summarization', { unitKey: treatment }).value).toMatchObject({ version: 1, variant: null });
  });

  it('getPrompt renders the variant, the model and merged params', () => {
    const { e } = engine();
    const treatment = unitWhere(EXP, (b) => b >= 500_000 && b < 750_000);
    const r = e.getPrompt('summarization', { unitKey: treatment, vars: { text: 'Long text', audience: 'executives' } });
    expect(r.reason).toBe('experiment');
    expect(r.value).toMatchObject({
      name: 'summarization',
      version: 2,
      variant: 'treatment',
      experiment: EXP,
      messages: [
        { role: 'system', content: 'Summarise for executives.' },
        { role: 'user', content: 'Long text' },
      ],
      params: { temperature: 0.3, max_tokens: 800 },
      missingVars: [],
    });
    expect(r.value?.model.alias).toBe('chat');
    expect(['gpt-4o-2024-05-13', 'gpt-4o-2024-08-06']).toContain(r.value?.model.snapshot);
  });

  it('getPrompt: active version for the unenrolled; missing vars stay verbatim and are listed', () => {
    const { e } = engine();
    const out = unitWhere(EXP, (b) => b >= 250_000 && b < 500_000);
    const r = e.getPrompt('summarization', { unitKey: out });
    expect(r).toMatchObject({
      reason: 'default',
      value: { version: 1, variant: null, params: { temperature: 0.2, max_tokens: 800 }, missingVars: ['text'] },
    });
    expect(r.value?.messages[1]?.content).toBe('Text: {{text}}');
    const none = engine(
      demoPayload('production', (p) => {
        p.prompts['support-answer']!.active = null;
      }),
    ).e;
    expect(none.getPrompt('support-answer', { unitKey: 'a' })).toMatchObject({
      value: null,
      reason: 'error',
      errorCode: 'NO_ACTIVE_VERSION',
    });
  });
});

describe('canary, embedding route, shadow', () => {
  it('canary returns the pipeline and an exposure', () => {
    const { e, sink } = engine();
    const inside = unitWhere('rag-hybrid-large', (b) => b < 100_000);
    const outside = unitWhere('rag-hybrid-large', (b) => b >= 100_000);
    expect(e.canary('rag-hybrid-large', { unitKey: inside })).toMatchObject({
      value: { variant: 'candidate', pipeline: { retrieval: 'hybrid', topK: 10, index: 'docs-large' } },
      reason: 'rollout',
    });
    expect(e.canary('rag-hybrid-large', { unitKey: outside })).toMatchObject({
      value: { variant: 'control', pipeline: { retrieval: 'semantic' } },
      reason: 'default',
    });
    expect(sink.events().map((x) => (x as ExposureEvent).variant)).toEqual(['candidate', 'control']);
  });

  it('embedding routes per phase', () => {
    const { e } = engine();
    const r = e.embeddingRoute('docs-embeddings-3-large');
    expect(r.value?.phase).toBe('dual-read');
    expect(r.value?.write.map((t) => t.index)).toEqual(['docs-small', 'docs-large']);
    expect(r.value?.read.map((t) => t.index)).toEqual(['docs-large', 'docs-small']);
    expect(e.embeddingRoute('nope')).toMatchObject({ value: null, errorCode: 'NOT_FOUND' });
  });

  it("embedding routes carry the application's table and column when the payload names them", () => {
    const { e } = engine(
      demoPayload('production', (p) => {
        const m = p.embeddingMigrations['docs-embeddings-3-large']!;
        for (const t of [m.from, m.to, ...m.write, ...m.read])
          Object.assign(t, { table: 'app.kb_articles', column: t.index === 'docs-small' ? 'emb_old' : 'emb_new' });
      }),
    );
    const r = e.embeddingRoute('docs-embeddings-3-large');
    expect(r.value?.read.map((t) => [t.table, t.column])).toEqual([
      ['app.kb_articles', 'emb_new'],
      ['app.kb_articles', 'emb_old'],
    ]);
    // Payloads without them (every bundle before storage:) have neither key.
    expect(Object.keys(engine().e.embeddingRoute('docs-embeddings-3-large').value!.write[0]!).sort()).toEqual([
      'dimension',
      'index',
      'model',
    ]);
  });

  it('a rollout at 0% serves nobody the candidate, exposes nobody, and is shadowed at its sample rate', () => {
    const { e, sink } = engine(
      demoPayload('production', (p) => {
        p.flags[ROLL]!.thresholdPpm = 0;
      }),
    );
    let shadowed = 0;
    for (let i = 0; i < 10_000; i++) {
      expect(e.resolveModel('chat', { unitKey: `u-${i}` })).toMatchObject({
        value: 'gpt-4o-2024-05-13',
        reason: 'default',
      });
      if (e.shadow('chat', { unitKey: `u-${i}`, requestId: `req-${i}` }).value.shadow) shadowed++;
    }
    expect(sink.events().filter((x) => x.type === 'exposure')).toEqual([]);
    expect(Math.abs(shadowed / 10_000 - 0.05)).toBeLessThan(0.01);
  });

  it('shadow samples ~sampleRate of requests outside the rollout, never units already on the candidate', () => {
    const { e } = engine();
    const outside = unitWhere(ROLL, (b) => b >= 250_000);
    const inside = unitWhere(ROLL, (b) => b < 250_000);
    let shadowed = 0;
    for (let i = 0; i < 20_000; i++) {
      const r = e.shadow('chat', { unitKey: outside, requestId: `req-${i}` });
      if (r.value.shadow) {
        shadowed++;
        expect(r.value).toEqual({
          shadow: true,
          rollout: ROLL,
          primary: 'gpt-4o-2024-05-13',
          candidate: 'gpt-4o-2024-08-06',
        });
      }
    }
    expect(Math.abs(shadowed / 20_000 - 0.05)).toBeLessThan(0.01);
    for (let i = 0; i < 500; i++)
      expect(e.shadow('chat', { unitKey: inside, requestId: `r${i}` }).value.shadow).toBe(false);
    expect(e.shadow('fast', { unitKey: 'a' }).value).toMatchObject({ shadow: false, rollout: null });
  });
});

describe('stale, swap, events', () => {
  it('stale overlays the reason but keeps the value and the rule', () => {
    const { e } = engine();
    const inside = unitWhere('new-onboarding-tips', (b) => b < 250_000);
    e.setStale(true);
    expect(e.isEnabled('new-onboarding-tips', { unitKey: inside })).toEqual({
      value: true,
      reason: 'stale',
      rule: 'rollout',
      serial: 1,
    });
    e.swap(table(demoPayload(), 2));
    expect(e.isEnabled('new-onboarding-tips', { unitKey: inside }).reason).toBe('rollout');
  });

  it('swap reports what changed per section', () => {
    const { e } = engine();
    const change = e.swap(
      table(
        demoPayload('production', (p) => {
          p.flags['new-onboarding-tips']!.thresholdPpm = 1_000_000;
          p.prompts.summarization!.active = 2;
          delete p.canaries['rag-hybrid-large'];
        }),
        2,
      ),
    );
    expect(change.previousSerial).toBe(1);
    expect(change.serial).toBe(2);
    expect(change.changed.flags).toEqual(['new-onboarding-tips']);
    expect(change.changed.prompts).toEqual(['summarization']);
    expect(change.changed.canaries).toEqual(['rag-hybrid-large']);
    expect(change.changed.models).toEqual([]);
    expect(change.flagsChanged).toEqual(['new-onboarding-tips', 'rag-hybrid-large', 'summarization']);
  });

  it('a throwing sink never fails a resolution', () => {
    const e = new Engine({
      sink: {
        write() {
          throw new Error('boom');
        },
        flush: async () => {},
        close: async () => {},
        stats: () => ({ accepted: 0, written: 0, dropped: 0 }),
      },
    });
    e.swap(table(demoPayload()));
    expect(
      e.assignExperiment('summarization-v1-vs-v2', { unitKey: unitWhere('summarization-v1-vs-v2', (b) => b < 250_000) })
        .value.variant,
    ).toBe('control');
    expect(e.sinkFailures).toBe(1);
  });

  it('recordMetric and recordShadow stamp serial, env and time', () => {
    const { e, sink } = engine();
    e.recordMetric({
      subject: 'canary',
      key: 'rag-hybrid-large',
      variant: 'candidate',
      unitKey: 'u',
      metric: 'relevance',
      value: 0.8,
    });
    e.recordShadow({ rollout: ROLL, model: 'chat', primary: 'a', candidate: 'b', unitKey: 'u', similarity: 0.93 });
    expect(sink.events()).toMatchObject([
      { type: 'metric', serial: 1, env: 'production', metric: 'relevance', value: 0.8 },
      { type: 'shadow', serial: 1, env: 'production', similarity: 0.93 },
    ]);
  });

  it('recordMetric / recordShadow drop and count unreadable input instead of throwing', () => {
    const { e, sink } = engine();
    const hostile = [
      null,
      undefined,
      42,
      'x',
      [],
      {
        get time(): number {
          throw new Error('getter');
        },
      },
    ];
    for (const input of hostile) {
      expect(() => e.recordMetric(input as never)).not.toThrow();
      expect(() => e.recordShadow(input as never)).not.toThrow();
    }
    expect(e.droppedEvents).toBe(hostile.length * 2);
    expect(sink.events()).toEqual([]);
    e.recordMetric({ subject: 'canary', key: 'k', variant: 'candidate', unitKey: 'u', metric: 'm', value: 1 });
    expect(sink.events()).toHaveLength(1);
    expect(e.droppedEvents).toBe(hostile.length * 2);
  });

  it('upgrade returns INVALID_ARGUMENT for records that are not plain data', () => {
    const { e, sink } = engine();
    const id = 'conversation-schema-v2';
    const withFunction = { id: 'c1', title: 'x', fn: () => 1 };
    const throwingGetter = Object.defineProperty({ id: 'c2' }, 'title', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    for (const record of [withFunction, throwingGetter, { id: 'c3', s: Symbol('s') }]) {
      let r: ReturnType<Engine['upgrade']> | undefined;
      expect(() => {
        r = e.upgrade(id, record);
      }).not.toThrow();
      // Checked field by field: a matcher would itself trip over the throwing getter.
      expect(r?.ok).toBe(false);
      expect(r !== undefined && !r.ok ? r.code : null).toBe('INVALID_ARGUMENT');
      expect(r?.record).toBe(record);
      const pure = upgradeRecord(demoPayload().schemaMigrations[id]!, record);
      expect(pure.ok ? null : pure.code).toBe('INVALID_ARGUMENT');
    }
    expect(sink.events()).toEqual([]);
    expect(e.upgrade(id, { id: 'ok', messages: [] })).toMatchObject({ ok: true, changed: true });
  });

  it('never throws on hostile arguments', () => {
    const { e } = engine();
    const junk: unknown[] = [
      undefined,
      null,
      42,
      {},
      [],
      'x'.repeat(10_000),
      '\ud800',
      Symbol('s'),
      { unitKey: 5 },
      { unitKey: {} },
      { conversation: 7 },
      { conversation: { snapshot: 9 } },
      { vars: null },
    ];
    const calls = ['resolveModel', 'getPrompt', 'isEnabled', 'assignExperiment', 'canary', 'shadow'] as const;
    for (const c of calls) {
      for (const name of [
        'chat',
        'summarization',
        'new-onboarding-tips',
        'summarization-v1-vs-v2',
        'rag-hybrid-large',
        ...junk,
      ]) {
        for (const ctx of junk) {
          expect(() => (e[c] as (a: unknown, b: unknown) => unknown)(name, ctx)).not.toThrow();
        }
      }
    }
    expect(() => e.embeddingRoute(null as never)).not.toThrow();
  });
});

describe('buildTable rejects malformed payloads with a code', () => {
  it.each([
    ['not an object', 'x'],
    ['wrong format', { ...demoPayload(), format: 2 }],
    [
      'threshold out of range',
      demoPayload('production', (p) => {
        p.flags['new-onboarding-tips']!.thresholdPpm = 2_000_000;
      }),
    ],
    [
      'dangling rollout',
      demoPayload('production', (p) => {
        p.models.chat!.rollout = 'ghost';
      }),
    ],
    [
      'overlapping slots',
      demoPayload('production', (p) => {
        p.experiments['summarization-v1-vs-v2']!.variants[1]!.slotStart = 100;
      }),
    ],
    [
      'experiment version missing',
      demoPayload('production', (p) => {
        p.experiments['summarization-v1-vs-v2']!.variants[1]!.version = 9;
      }),
    ],
  ])('%s', (_name, payload) => {
    const r = buildTable(payload, {
      serial: 1,
      env: 'production',
      commit: COMMIT,
      createdAt: 0,
      expiresAt: 1,
      payloadSha256: '',
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('PAYLOAD_INVALID');
  });
});

describe('one payload validator', () => {
  // Defects the decision-table builder used to accept on its own: buildTable now applies exactly
  // the payload-shape rules verifyPayload applies, with the same message.
  it.each([
    [
      'killed is not a boolean',
      demoPayload('production', (p) => {
        (p.flags['new-onboarding-tips'] as { killed: unknown }).killed = 'yes';
      }),
    ],
    [
      'gap between experiment slots',
      demoPayload('production', (p) => {
        p.experiments['summarization-v1-vs-v2']!.variants[1]!.slotStart = 600_000;
      }),
    ],
    [
      'unknown provider type',
      demoPayload('production', (p) => {
        (p.models.chat!.provider as { type: string }).type = 'anthropic';
      }),
    ],
    [
      'flag key differs from its name',
      demoPayload('production', (p) => {
        p.flags['new-onboarding-tips']!.name = 'other';
      }),
    ],
    [
      'embedding target column that is not a string',
      demoPayload('production', (p) => {
        (p.embeddingMigrations['docs-embeddings-3-large']!.to as { column?: unknown }).column = 7;
      }),
    ],
    [
      'param that is not a number',
      demoPayload('production', (p) => {
        (p.models.chat!.params as Record<string, unknown>).temperature = 'hot';
      }),
    ],
  ])('%s', (_name, payload) => {
    const expected = payloadShapeError(JSON.parse(JSON.stringify(payload)) as never);
    expect(expected).toBeTypeOf('string');
    const r = buildTable(payload, {
      serial: 1,
      env: 'production',
      commit: COMMIT,
      createdAt: 0,
      expiresAt: 1,
      payloadSha256: '',
    });
    expect(r).toEqual({ ok: false, code: 'PAYLOAD_INVALID', message: `payload shape: ${expected}` });
  });

  it('compileTable checks only what the shape cannot: env and cross-references', () => {
    const meta = { serial: 1, env: 'production', commit: COMMIT, createdAt: 0, expiresAt: 1, payloadSha256: '' };
    expect(compileTable(demoPayload(), meta).ok).toBe(true);
    expect(compileTable(demoPayload('staging'), meta)).toMatchObject({
      ok: false,
      message: expect.stringContaining('payload.env'),
    });
    expect(
      compileTable(
        demoPayload('production', (p) => {
          p.canaries['rag-hybrid-large']!.flag = 'ghost';
        }),
        meta,
      ),
    ).toMatchObject({ ok: false, message: expect.stringContaining('flag ghost is not in flags') });
  });
});

describe('upgradeRecord', () => {
  const migration = demoPayload().schemaMigrations['conversation-schema-v2']!;
  const v1 = {
    id: 'c1',
    created: '2024-01-01',
    title: 'Hi',
    messages: [
      { role: 'user', content: 'x' },
      { role: 'assistant', content: 'y', model: 'gpt-4-0613' },
    ],
  };

  it('adds, renames, upgrades messages, never loses a field', () => {
    const r = upgradeRecord(migration, v1);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.record).toEqual({
      id: 'c1',
      createdAt: '2024-01-01',
      title: 'Hi',
      schemaVersion: 2,
      modelVersion: 'gpt-4o-2024-05-13',
      metadata: {},
      messages: [
        { role: 'user', content: 'x', model: 'gpt-4o-2024-05-13' },
        { role: 'assistant', content: 'y', model: 'gpt-4-0613' },
      ],
    });
    expect(v1).not.toHaveProperty('schemaVersion');
  });

  it('is idempotent', () => {
    const once = upgradeRecord(migration, v1);
    if (!once.ok) throw new Error();
    const twice = upgradeRecord(migration, once.record);
    expect(twice).toMatchObject({ ok: true, changed: false });
    if (twice.ok) expect(twice.record).toEqual(once.record);
  });

  it('keeps both values when a rename target already exists', () => {
    const r = upgradeRecord(migration, { created: 'old', createdAt: 'new' });
    expect(r.ok && r.record).toMatchObject({ created: 'old', createdAt: 'new' });
  });

  it('refuses records at another version and non-objects', () => {
    expect(upgradeRecord(migration, { schemaVersion: 7 })).toMatchObject({ ok: false, code: 'VERSION_MISMATCH' });
    expect(upgradeRecord(migration, [1])).toMatchObject({ ok: false, code: 'NOT_AN_OBJECT' });
  });

  it('engine.upgrade emits a schema migration event only when something changed', () => {
    const { e, sink } = engine();
    const r = e.upgrade('conversation-schema-v2', v1);
    expect(r.ok).toBe(true);
    if (r.ok) e.upgrade('conversation-schema-v2', r.record);
    expect(sink.events().filter((x) => x.type === 'migration')).toMatchObject([
      { migration: 'schema', key: 'conversation-schema-v2', subjectId: 'c1', from: '1', to: '2' },
    ]);
  });
});
