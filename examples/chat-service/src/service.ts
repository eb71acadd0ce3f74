/**
 * The chat service's behaviour, independent of HTTP: every decision comes from the Switchyard
 * runtime client, every answer from the `openai` SDK, every conversation from the database.
 *
 * Article pattern → runtime call (README.md has the full table):
 * - conversations keep their model: `resolveModel('chat', { unitKey, conversation })` + the stored `pin`
 * - feature-flag rollout / kill switch: the same call for a new conversation (reasons `rollout`, `default`, `killed`)
 * - shadow mode: `shadow('chat', …)` → candidate called after the response, `recordShadow`
 * - prompt versions and A/B tests: `getPrompt(name, { unitKey, vars })` (exposure recorded), feedback → `recordMetric`
 * - RAG canary: `canary('rag-hybrid-large', { unitKey })`; embedding migration: `embeddingRoute(...)`
 * - consented model migration, retired snapshots (reason `migrated`), lazy schema upgrades on read
 */
import { randomUUID } from 'node:crypto';
import type { EventSink, ModelResolution, PromptValue, SwitchyardClient } from '@switchyard/runtime';
import type {
  ConversationEvent,
  ConversationRecord,
  ConversationRepository,
  StoredConversation,
} from '@switchyard/data';
import { ApiError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { ChatMessage, ModelGateway } from './model-gateway.ts';
import { checkMetadata, type Retrieval, type SearchResult } from './rag.ts';
import type { Attribution, ResponseLog } from './responses.ts';
import type { ShadowRunner } from './shadow-runner.ts';

/** Names of the demo organisation's resources the service uses (overridable for other configs). */
export interface ServiceNames {
  /** Model alias conversations run on. */
  alias: string;
  /** RAG prompt answering chat turns (vars: passages, question). */
  chatPrompt: string;
  /** Prompt of the summarization endpoint (vars: ticket); its experiment decides the version. */
  summaryPrompt: string;
  /** SchemaMigration of conversation records. */
  schemaMigration: string;
}

export const DEMO_NAMES: ServiceNames = {
  alias: 'chat',
  chatPrompt: 'support-answer',
  summaryPrompt: 'summarization',
  schemaMigration: 'conversation-schema-v2',
};

export interface ServiceDeps {
  runtime: SwitchyardClient;
  /** The event sink the runtime writes to (the service adds consented-migration events itself). */
  sink: EventSink;
  conversations: ConversationRepository;
  retrieval: Retrieval;
  responses: ResponseLog;
  models: ModelGateway;
  shadows: ShadowRunner;
  log: Logger;
  names?: ServiceNames;
  /** Messages of earlier turns sent to the model (default 20). */
  historyLimit?: number;
  /**
   * Most messages a conversation may hold (default 200, i.e. 100 turns). A turn that would exceed it
   * is refused with `E_CONVERSATION_FULL` before the model is called: the record is one jsonb
   * document rewritten whole on every turn, so it must stay bounded (see README).
   */
  maxMessages?: number;
}

/**
 * The model decision a conversation was created under, stored on the record (`modelDecision`) so
 * that feedback is attributed to the rollout arm the conversation was randomised into — not to
 * whatever its current snapshot happens to equal. `rollout`/`variant` are null when the
 * conversation is not part of a rollout's comparison (no rollout, rollout at 0 % or killed).
 */
export interface ModelDecision {
  alias: string;
  snapshot: string;
  /** The runtime's rule: `rollout`, `default` or `killed`. */
  rule: string;
  /** Bundle serial the decision was made under. */
  serial: number;
  rollout: string | null;
  variant: 'candidate' | 'control' | null;
}

/** What a handler returns: the body, and work to start only after the response has been written. */
export interface Outcome<T> {
  body: T;
  status?: number;
  after?: () => void;
}

/** Identifier of an operator-driven (not user-consented) switch away from a retired snapshot. */
export const RETIRED_CONSENT = 'switchyard:retired-snapshot';
/** Identifier of the operator-driven switch back from a killed rollout's target snapshot. */
export const KILLED_CONSENT = 'switchyard:killed-rollout';

// No whitespace or control characters (\p{Cc}); a bucketing unit key is an identifier, not text.
const USER_ID = /^[^\s\p{Cc}]{1,256}$/u;
const METRIC = /^[a-z][a-z0-9_]{0,63}$/;
/** Metrics the service records itself; a client posting them would double-count. */
const RESERVED_METRICS = new Set(['latency_ms']);
const DEFAULT_MAX_MESSAGES = 200;

function requireString(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new ApiError('E_BAD_REQUEST', `'${field}' must be a non-empty string`);
  if (value.length > max) throw new ApiError('E_BAD_REQUEST', `'${field}' is longer than ${max} characters`);
  return value;
}

/** PostgreSQL text and jsonb cannot hold U+0000: a client error, not a store outage. */
function noNul(value: string, field: string): string {
  if (value.includes('\u0000'))
    throw new ApiError('E_BAD_REQUEST', `'${field}' must not contain the NUL character (U+0000)`);
  return value;
}

function requireUserId(value: unknown): string {
  if (typeof value !== 'string' || !USER_ID.test(value)) {
    throw new ApiError(
      'E_BAD_REQUEST',
      "'userId' must be 1–256 characters without spaces or control characters (it is the bucketing unit)",
    );
  }
  return value;
}

/** How a turn moved its conversation off a snapshot it can no longer use. */
type TurnMigration = { from: string; to: string; reason: 'retired' | 'killed' };

/** The conversation as the API shows it: the stored record (unknown fields included) and its revision. */
export function conversationView(c: StoredConversation): ConversationRecord & { revision: number } {
  return { ...c.record, revision: c.revision };
}

export class ChatService {
  private readonly d: ServiceDeps;
  private readonly names: ServiceNames;

  constructor(deps: ServiceDeps) {
    this.d = deps;
    this.names = deps.names ?? DEMO_NAMES;
  }

  // ---- runtime helpers ------------------------------------------------------------------------

  private ready(): void {
    if (!this.d.runtime.status().ready) {
      throw new ApiError(
        'E_CONFIG_NOT_READY',
        'no verified config bundle is loaded yet; see GET /status for the last error and retry',
      );
    }
  }

  /** A model resolution that can be acted on, or the error a client should see. */
  private usable(m: ModelResolution): ModelResolution & { value: string } {
    if (m.value === null || m.rule === 'error') {
      if (m.errorCode === 'NOT_READY')
        throw new ApiError('E_CONFIG_NOT_READY', 'no verified config bundle is loaded yet; retry shortly');
      throw new ApiError(
        'E_CONFIG_UNAVAILABLE',
        `the config bundle cannot answer for model alias '${m.alias}' (${m.errorCode ?? 'error'}); check the bundle at GET /status`,
      );
    }
    return m as ModelResolution & { value: string };
  }

  /** The model rollout of the alias in the current bundle: flag, target snapshot, whether anyone is exposed. */
  private rolloutOf(alias: string): { flag: string; to: string; alertBelow: number; exposing: boolean } | null {
    const runtime = this.d.runtime;
    const flag = runtime.definition('models', alias)?.rollout;
    const rollout = flag ? runtime.definition('modelRollouts', flag) : null;
    const f = flag ? runtime.definition('flags', flag) : null;
    return flag && rollout
      ? {
          flag,
          to: rollout.to,
          alertBelow: rollout.shadow.gate.minMinSimilarity,
          exposing: f !== null && !f.killed && f.thresholdPpm > 0,
        }
      : null;
  }

  /**
   * The rollout arm of a fresh decision (`rule` as the runtime answered it now): candidate when the
   * unit is in the rollout, control when it is out — only while the rollout exposes anyone (the
   * runtime records no exposure at 0 % or when killed, so no arm either).
   */
  private armOf(alias: string, rule: string): { rollout: string; variant: 'candidate' | 'control' } | null {
    const r = this.rolloutOf(alias);
    if (r === null || !r.exposing) return null;
    if (rule === 'rollout') return { rollout: r.flag, variant: 'candidate' };
    if (rule === 'default') return { rollout: r.flag, variant: 'control' };
    return null;
  }

  private freshAttribution(alias: string, rule: string): Attribution[] {
    const arm = this.armOf(alias, rule);
    return arm ? [{ subject: 'model-rollout', key: arm.rollout, variant: arm.variant }] : [];
  }

  /**
   * A conversation's rollout arm, from the decision stored when it was created. Not counted: records
   * without a decision (created before this service stored one, or imported), decisions outside a
   * rollout's comparison, and conversations moved since (consent, kill switch, retired snapshot) —
   * they are no longer on the arm they were randomised into.
   */
  private conversationAttribution(record: ConversationRecord): Attribution[] {
    const d = record.modelDecision as Partial<ModelDecision> | undefined;
    if (
      typeof d !== 'object' ||
      d === null ||
      typeof d.rollout !== 'string' ||
      (d.variant !== 'candidate' && d.variant !== 'control')
    )
      return [];
    if (record.modelVersion !== d.snapshot) return [];
    if (Array.isArray(record.modelHistory) && record.modelHistory.length > 0) return [];
    return [{ subject: 'model-rollout', key: d.rollout, variant: d.variant }];
  }

  /**
   * Refuses, before anything is paid for, a conversation this service cannot continue: a record the
   * current schema migration could not upgrade, or one whose shape is not a conversation's
   * (`messages` not an array, no string `userId`/`modelVersion`); and one at its message cap.
   */
  private writable(conv: StoredConversation, adding: number): void {
    const how =
      'this service cannot continue it (see switchyard migrate conversations --dry-run); start a new conversation';
    if (conv.upgrade?.status === 'failed') {
      throw new ApiError(
        'E_CONVERSATION_UNSUPPORTED',
        `conversation '${conv.id}' cannot be brought to the current schema (${conv.upgrade.code}); ${how}`,
      );
    }
    const r = conv.record as Record<string, unknown>;
    if (
      !Array.isArray(r.messages) ||
      typeof r.userId !== 'string' ||
      !USER_ID.test(r.userId) ||
      typeof r.modelVersion !== 'string' ||
      r.modelVersion === ''
    ) {
      throw new ApiError(
        'E_CONVERSATION_UNSUPPORTED',
        `conversation '${conv.id}' is not a record this service can read (messages, userId or modelVersion malformed); ${how}`,
      );
    }
    const max = this.d.maxMessages ?? DEFAULT_MAX_MESSAGES;
    if (adding > 0 && r.messages.length + adding > max) {
      throw new ApiError(
        'E_CONVERSATION_FULL',
        `conversation '${conv.id}' holds ${r.messages.length} messages, the most a conversation keeps is ${max}; start a new conversation`,
      );
    }
  }

  /** Writes a conversation-model migration event (the repository's) stamped with the current bundle. */
  private emitMigration(event: ConversationEvent | null): void {
    if (event === null) return;
    const s = this.d.runtime.status();
    try {
      this.d.sink.write({ ...event, serial: s.serial, env: s.env });
    } catch {
      // sinks do not throw; a broken one must not fail the migration that already happened
    }
  }

  private async load(id: string): Promise<StoredConversation> {
    const c = await this.d.conversations.get(id);
    if (c === null) throw new ApiError('E_CONVERSATION_NOT_FOUND', `no conversation '${id}'`);
    return c;
  }

  // ---- conversations --------------------------------------------------------------------------

  /**
   * A new conversation on the model the rollout gives this user now (`rollout`, `default` or
   * `killed`), pinned: the snapshot is stored on the conversation and used for every later turn.
   */
  async createConversation(body: Record<string, unknown>): Promise<Outcome<unknown>> {
    const userId = requireUserId(body.userId);
    this.ready();
    const m = this.usable(this.d.runtime.resolveModel(this.names.alias, { unitKey: userId }));
    const title = typeof body.title === 'string' ? noNul(body.title.slice(0, 200), 'title') : undefined;
    // Documents of this tenant only, in every search of the conversation (the article's tenantId filter).
    const tenant = body.tenant === undefined ? undefined : noNul(requireString(body.tenant, 'tenant', 256), 'tenant');
    const arm = this.armOf(this.names.alias, m.rule);
    const modelDecision: ModelDecision = {
      alias: this.names.alias,
      snapshot: m.pin ?? m.value,
      rule: m.rule,
      serial: m.serial,
      rollout: arm?.rollout ?? null,
      variant: arm?.variant ?? null,
    };
    const created = await this.d.conversations.create({
      userId,
      // `pin` is null only for an alias that follows the rollout on every turn: then store the current answer.
      modelVersion: m.pin ?? m.value,
      modelAlias: this.names.alias,
      modelPinned: m.pin !== null,
      modelDecision,
      ...(title ? { title } : {}),
      ...(tenant ? { tenant } : {}),
    });
    return {
      status: 201,
      body: {
        conversation: conversationView(created),
        model: { alias: m.alias, snapshot: m.value, reason: m.reason, serial: m.serial },
      },
    };
  }

  /** The conversation (upgraded to the current schema on read by the repository). */
  async getConversation(id: string): Promise<Outcome<unknown>> {
    const c = await this.load(id);
    return { body: { conversation: conversationView(c), schemaUpgrade: c.upgrade ?? null } };
  }

  /**
   * One chat turn: retrieve passages (canary pipeline, migration read order), render the RAG prompt,
   * answer on the conversation's snapshot, store both messages, and — after the response — shadow
   * the candidate snapshot for a sampled share of requests.
   */
  async sendMessage(id: string, body: Record<string, unknown>): Promise<Outcome<unknown>> {
    // A NUL cannot be stored in the jsonb record: refused here, not after the model has answered.
    const content = noNul(requireString(body.content, 'content', 8000), 'content');
    this.ready();
    let conv = await this.load(id);
    // Before retrieval and the (paid) model call: a turn that cannot be stored is never answered.
    this.writable(conv, 2);
    const record = conv.record;
    const unitKey = record.userId;
    const alias = typeof record.modelAlias === 'string' ? record.modelAlias : this.names.alias;
    const pinned = record.modelPinned !== false;
    const requestId = randomUUID();

    const m = this.usable(
      this.d.runtime.resolveModel(alias, {
        unitKey,
        conversation: { id, snapshot: pinned ? record.modelVersion : null },
      }),
    );
    let migration: TurnMigration | null = null;
    if (m.migratedFrom !== undefined) ({ conversation: conv, migration } = await this.moveConversation(id, m, alias));
    const snapshot = m.value;

    const tenant = typeof record.tenant === 'string' ? record.tenant : undefined;
    const { search, searchError } = await this.searchForTurn(id, requestId, unitKey, content, tenant);
    const { prompt, callModel } = this.turnPrompt(id, unitKey, content, search, alias, snapshot);
    const messages = this.turnMessages(conv, prompt);
    const answer = await this.d.models.chat(callModel, messages, prompt.params, m.provider);

    const now = new Date().toISOString();
    const stored = await this.d.conversations.appendMessages(id, [
      { role: 'user', content, model: callModel, timestamp: now, requestId },
      {
        role: 'assistant',
        content: answer.content,
        model: answer.model,
        timestamp: new Date().toISOString(),
        requestId,
        prompt: { name: prompt.name, version: prompt.version },
      },
    ]);
    await this.recordTurn(id, requestId, unitKey, alias, stored, prompt, search);

    // Decided now (cheap, synchronous), run after the response is written.
    const s = this.d.runtime.shadow(alias, { unitKey, requestId, conversation: { id, snapshot: callModel } });
    const shadowed = s.value.shadow && s.value.candidate !== null && s.value.rollout !== null;
    const after = shadowed
      ? () => {
          this.d.shadows.submit({
            rollout: s.value.rollout as string,
            alias,
            primary: callModel,
            candidate: s.value.candidate as string,
            unitKey,
            requestId,
            messages,
            params: prompt.params,
            provider: m.provider,
            primaryOutput: answer.content,
            primaryLatencyMs: answer.latencyMs,
            alertBelow: this.rolloutOf(alias)?.alertBelow ?? 0.7,
          });
        }
      : undefined;

    return {
      body: {
        requestId,
        conversationId: id,
        reply: { role: 'assistant', content: answer.content, model: answer.model },
        model: { alias, snapshot: callModel, reason: m.reason, serial: m.serial },
        migration,
        prompt: { name: prompt.name, version: prompt.version, variant: prompt.variant, experiment: prompt.experiment },
        search: search ? searchView(search) : { error: searchError },
        shadowed,
        conversation: {
          id,
          revision: stored.revision,
          modelVersion: stored.record.modelVersion,
          messages: stored.record.messages.length,
        },
      },
      after,
    };
  }

  /**
   * The snapshot is retired, or it is the target of a killed rollout: the runtime moved the
   * conversation deliberately (and emitted the migration event); record the move on the
   * conversation so every later turn uses it.
   */
  private async moveConversation(
    id: string,
    m: ModelResolution & { value: string },
    alias: string,
  ): Promise<{ conversation: StoredConversation; migration: TurnMigration }> {
    const reason = m.rule === 'killed' ? 'killed' : 'retired';
    const moved = await this.d.conversations.migrateModel(id, {
      to: m.value,
      consent: { by: reason === 'killed' ? KILLED_CONSENT : RETIRED_CONSENT },
      reason,
      alias,
    });
    this.d.log.info(`conversation moved off a ${reason === 'killed' ? "killed rollout's" : 'retired'} snapshot`, {
      conversationId: id,
      from: m.migratedFrom,
      to: m.value,
    });
    return { conversation: moved.conversation, migration: { from: m.migratedFrom as string, to: m.value, reason } };
  }

  /** Retrieval trouble degrades the answer (no passages: the prompt says to offer a ticket), it does not fail the turn. */
  private async searchForTurn(
    id: string,
    requestId: string,
    unitKey: string,
    content: string,
    tenant: string | undefined,
  ): Promise<{ search: SearchResult | null; searchError: { code: string; message: string } | null }> {
    try {
      return {
        search: await this.d.retrieval.search(unitKey, content, tenant === undefined ? {} : { tenant }),
        searchError: null,
      };
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'E_SEARCH_UNAVAILABLE') throw error;
      this.d.log.warn('search failed; answering without passages', {
        conversationId: id,
        requestId,
        error: error.message,
        ...(error.internal === undefined ? {} : { detail: error.internal }),
      });
      return { search: null, searchError: { code: error.code, message: error.message } };
    }
  }

  /** The RAG prompt rendered with the passages, and the snapshot it runs on. */
  private turnPrompt(
    id: string,
    unitKey: string,
    content: string,
    search: SearchResult | null,
    alias: string,
    snapshot: string,
  ): { prompt: PromptValue; callModel: string } {
    const passages =
      search && search.hits.length > 0
        ? search.hits.map((h, i) => `[${i + 1}] ${h.content}`).join('\n')
        : '(no passages found)';
    const p = this.d.runtime.getPrompt(this.names.chatPrompt, {
      unitKey,
      vars: { passages, question: content },
      conversation: { id, snapshot },
    });
    if (p.value === null)
      throw new ApiError(
        'E_CONFIG_UNAVAILABLE',
        `the config bundle has no usable prompt '${this.names.chatPrompt}' (${p.errorCode ?? p.reason})`,
      );
    const prompt = p.value;
    // The prompt may run on another alias than the conversation's; the conversation's pin wins for its own alias.
    const callModel = prompt.model.alias === alias ? snapshot : prompt.model.snapshot;
    if (callModel === null)
      throw new ApiError('E_CONFIG_UNAVAILABLE', `no snapshot for model alias '${prompt.model.alias}'`);
    return { prompt, callModel };
  }

  /** The prompt's system messages, the recent history, then the prompt's turn. */
  private turnMessages(conv: StoredConversation, prompt: PromptValue): ChatMessage[] {
    const history: ChatMessage[] = conv.record.messages
      .filter((msg) => msg.role === 'user' || msg.role === 'assistant')
      .slice(-(this.d.historyLimit ?? 20))
      .map((msg) => ({ role: msg.role as 'user' | 'assistant', content: msg.content }));
    return [
      ...prompt.messages.filter((msg) => msg.role === 'system'),
      ...history,
      ...prompt.messages.filter((msg) => msg.role !== 'system'),
    ];
  }

  /** Record the answer with the arms that decided it (model, canary pipeline, experiment). */
  private async recordTurn(
    id: string,
    requestId: string,
    unitKey: string,
    alias: string,
    stored: StoredConversation,
    prompt: PromptValue,
    search: SearchResult | null,
  ): Promise<void> {
    // The conversation's own arm when it answers on its own alias; a prompt on another alias was decided fresh.
    const attributions: Attribution[] =
      prompt.model.alias === alias
        ? this.conversationAttribution(stored.record)
        : this.freshAttribution(prompt.model.alias, prompt.model.reason);
    if (search?.pipeline)
      attributions.push({ subject: 'canary', key: search.pipeline.canary, variant: search.pipeline.variant });
    if (prompt.experiment && prompt.variant)
      attributions.push({ subject: 'experiment', key: prompt.experiment, variant: prompt.variant });
    await this.d.responses.record({ requestId, unitKey, kind: 'chat', conversationId: id, attributions });
  }

  /**
   * What a consented migration would move this conversation to: the model a new conversation of
   * this user gets now (the rollout, or the default when killed). Nothing changes.
   */
  async migrationOffer(id: string): Promise<Outcome<unknown>> {
    this.ready();
    const conv = await this.load(id);
    this.writable(conv, 0);
    const alias = typeof conv.record.modelAlias === 'string' ? conv.record.modelAlias : this.names.alias;
    const target = this.usable(this.d.runtime.resolveModel(alias, { unitKey: conv.record.userId }));
    const available = target.value !== conv.record.modelVersion;
    return {
      body: {
        conversationId: id,
        current: conv.record.modelVersion,
        available,
        to: available ? target.value : null,
        reason: target.reason,
        requiresConsent: true,
        notice:
          'Moving this conversation to another model may change how the assistant answers. It happens only if you consent.',
      },
    };
  }

  /**
   * Moves one conversation to the model a new conversation would get, only with the user's explicit
   * consent (`consent: true` from the conversation's own user). Refused otherwise, with nothing changed.
   */
  async migrateModel(id: string, body: Record<string, unknown>): Promise<Outcome<unknown>> {
    if (body.consent !== true) {
      throw new ApiError(
        'E_CONSENT_REQUIRED',
        'a conversation changes model only with the user\'s consent: send {"consent": true, "userId": <the conversation\'s user>}',
      );
    }
    const userId = requireUserId(body.userId);
    this.ready();
    const conv = await this.load(id);
    if (conv.record.userId !== userId) {
      throw new ApiError('E_CONSENT_REQUIRED', "consent must come from the conversation's own user");
    }
    this.writable(conv, 0);
    const alias = typeof conv.record.modelAlias === 'string' ? conv.record.modelAlias : this.names.alias;
    const target = this.usable(this.d.runtime.resolveModel(alias, { unitKey: userId }));
    if (target.value === conv.record.modelVersion) {
      throw new ApiError(
        'E_NO_MIGRATION_AVAILABLE',
        `the conversation already runs on ${target.value}, the model a new conversation gets now`,
      );
    }
    if (body.to !== undefined && body.to !== target.value) {
      throw new ApiError(
        'E_NO_MIGRATION_AVAILABLE',
        `the offered model is now ${target.value}, not ${String(body.to)}; ask again (GET /conversations/${id}/model-migration)`,
        { to: target.value },
      );
    }
    const result = await this.d.conversations.migrateModel(id, {
      to: target.value,
      consent: { by: userId, at: new Date().toISOString() },
      reason: 'user-consent',
      alias,
      expectedRevision: conv.revision,
    });
    this.emitMigration(result.event);
    this.d.log.info('conversation migrated to a new model with consent', {
      conversationId: id,
      from: conv.record.modelVersion,
      to: target.value,
      consentBy: userId,
    });
    return {
      body: {
        conversation: conversationView(result.conversation),
        migration: {
          from: conv.record.modelVersion,
          to: target.value,
          changed: result.changed,
          consentBy: userId,
          at: result.conversation.record.migratedAt ?? null,
        },
      },
    };
  }

  // ---- prompts, experiments, feedback -------------------------------------------------------

  /**
   * Summarises a support ticket with the `summarization` prompt version the user's experiment arm
   * gets (`getPrompt` records the exposure); latency is recorded as the experiment's guardrail metric.
   */
  async summarize(body: Record<string, unknown>): Promise<Outcome<unknown>> {
    const userId = requireUserId(body.userId);
    const ticket = requireString(body.ticket, 'ticket', 20_000);
    this.ready();
    const p = this.d.runtime.getPrompt(this.names.summaryPrompt, { unitKey: userId, vars: { ticket } });
    if (p.value === null)
      throw new ApiError(
        'E_CONFIG_UNAVAILABLE',
        `the config bundle has no usable prompt '${this.names.summaryPrompt}' (${p.errorCode ?? p.reason})`,
      );
    const prompt = p.value;
    if (prompt.model.snapshot === null)
      throw new ApiError('E_CONFIG_UNAVAILABLE', `no snapshot for model alias '${prompt.model.alias}'`);
    const provider = this.d.runtime.definition('models', prompt.model.alias)?.provider ?? null;
    const answer = await this.d.models.chat(prompt.model.snapshot, prompt.messages, prompt.params, provider);
    const requestId = randomUUID();
    const attributions: Attribution[] = this.freshAttribution(prompt.model.alias, prompt.model.reason);
    if (prompt.experiment && prompt.variant) {
      attributions.push({ subject: 'experiment', key: prompt.experiment, variant: prompt.variant });
      this.d.runtime.recordMetric({
        subject: 'experiment',
        key: prompt.experiment,
        variant: prompt.variant,
        unitKey: userId,
        metric: 'latency_ms',
        value: answer.latencyMs,
      });
    }
    await this.d.responses.record({ requestId, unitKey: userId, kind: 'summary', conversationId: null, attributions });
    return {
      body: {
        requestId,
        summary: answer.content,
        model: {
          alias: prompt.model.alias,
          snapshot: prompt.model.snapshot,
          answeredBy: answer.model,
          reason: prompt.model.reason,
        },
        prompt: {
          name: prompt.name,
          version: prompt.version,
          variant: prompt.variant,
          experiment: prompt.experiment,
          reason: p.reason,
        },
      },
    };
  }

  /**
   * Feedback on an answer (`requestId` from a chat turn or a summary): recorded with `recordMetric`
   * for every analysis the answer belonged to, under the variant the user actually saw. One value
   * per (answer, metric): the first post is kept, a second is refused with `E_FEEDBACK_EXISTS`
   * (the database's primary key decides, so concurrent posts cannot both count).
   */
  async feedback(body: Record<string, unknown>): Promise<Outcome<unknown>> {
    const requestId = requireString(body.requestId, 'requestId', 100);
    const metric = body.metric === undefined ? 'user_satisfaction' : body.metric;
    if (typeof metric !== 'string' || !METRIC.test(metric))
      throw new ApiError('E_BAD_REQUEST', "'metric' must match [a-z][a-z0-9_]* (e.g. agent_satisfaction, relevance)");
    if (RESERVED_METRICS.has(metric))
      throw new ApiError('E_BAD_REQUEST', `'${metric}' is recorded by the service itself; send another metric`);
    const value = body.value;
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new ApiError('E_BAD_REQUEST', "'value' must be a finite number (e.g. 1 for thumbs up, 0 for down)");
    const served = await this.d.responses.get(requestId);
    if (!served) throw new ApiError('E_REQUEST_NOT_FOUND', `no answer with requestId '${requestId}'`);
    if (!(await this.d.responses.claimFeedback(requestId, metric, value))) {
      throw new ApiError(
        'E_FEEDBACK_EXISTS',
        `feedback '${metric}' for answer '${requestId}' was already recorded; one value per answer and metric is kept (the first)`,
      );
    }
    for (const a of served.attributions) {
      this.d.runtime.recordMetric({
        subject: a.subject,
        key: a.key,
        variant: a.variant,
        unitKey: served.unitKey,
        metric,
        value,
      });
    }
    return { status: 202, body: { requestId, metric, value, recorded: served.attributions } };
  }

  // ---- documents and search -----------------------------------------------------------------

  /** Indexes a document in every index the embedding migration's phase writes to. */
  async indexDocument(body: Record<string, unknown>): Promise<Outcome<unknown>> {
    const content = noNul(requireString(body.content, 'content', 100_000), 'content');
    const id = body.id === undefined ? randomUUID() : noNul(requireString(body.id, 'id', 512), 'id');
    const tenant =
      body.tenant === undefined || body.tenant === null
        ? null
        : noNul(requireString(body.tenant, 'tenant', 256), 'tenant');
    const metadata = checkMetadata(body.metadata);
    this.ready();
    const result = await this.d.retrieval.index({ id, content, tenant, metadata });
    return { status: 201, body: result };
  }

  /** RAG search as the chat turn runs it, for one user. */
  async search(body: Record<string, unknown>): Promise<Outcome<unknown>> {
    const userId = requireUserId(body.userId);
    const query = requireString(body.query, 'query', 2000);
    const tenant = body.tenant === undefined ? undefined : requireString(body.tenant, 'tenant', 256);
    this.ready();
    const result = await this.d.retrieval.search(userId, query, tenant === undefined ? {} : { tenant });
    return { body: searchView(result) };
  }
}

function searchView(s: SearchResult) {
  return {
    pipeline: s.pipeline,
    phase: s.phase,
    readOrder: s.readOrder,
    answeredBy: s.answeredBy,
    fellBack: s.fellBack,
    hits: s.hits.map((h) => ({ id: h.id, score: h.score, index: h.index, content: h.content })),
  };
}
