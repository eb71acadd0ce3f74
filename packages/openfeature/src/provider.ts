/**
 * An OpenFeature server Provider over the Switchyard runtime: the same client and engine, so an
 * application can ask through the vendor-neutral API and get exactly the answers (and reasons) the
 * native API gives.
 *
 * Flag keys:
 * - boolean: a flag name (Flag, ModelRollout or Canary) → `isEnabled`.
 * - string: `model:<alias>` → snapshot; `prompt:<name>` → version ("2"); `experiment:<id>` → variant.
 *   A bare model alias, prompt name or experiment id works too when it is not ambiguous.
 * - number: `prompt:<name>` → version number.
 * - object: `canary:<id>` → pipeline settings; `embedding:<migration>` → write/read route.
 *
 * Context: `targetingKey` is the bucketing unit; `conversationSnapshot` (string) is the snapshot
 * stored on the conversation, for model pinning.
 */
import { ErrorCode, OpenFeatureEventEmitter, ProviderEvents, StandardResolutionReasons } from '@openfeature/server-sdk';
import type { EvaluationContext, JsonValue, Provider, ResolutionDetails } from '@openfeature/server-sdk';
import type { BundleChange, Reason, Resolution, ResolutionErrorCode, SwitchyardClient } from '@switchyard/runtime';

export interface SwitchyardProviderOptions {
  /** Reject `initialize` (provider ERROR) when no bundle is active after this long. Default 30 s. */
  readyTimeoutMs?: number;
  /** Close the client when the provider is closed. Default false (the application owns it). */
  closeClient?: boolean;
}

const REASONS: Record<Reason, string> = {
  pinned: StandardResolutionReasons.TARGETING_MATCH,
  migrated: StandardResolutionReasons.TARGETING_MATCH,
  rollout: StandardResolutionReasons.SPLIT,
  experiment: StandardResolutionReasons.SPLIT,
  default: StandardResolutionReasons.DEFAULT,
  killed: StandardResolutionReasons.DISABLED,
  stale: StandardResolutionReasons.STALE,
  error: StandardResolutionReasons.ERROR,
};

const ERRORS: Record<ResolutionErrorCode, ErrorCode> = {
  NOT_READY: ErrorCode.PROVIDER_NOT_READY,
  NOT_FOUND: ErrorCode.FLAG_NOT_FOUND,
  MISSING_UNIT_KEY: ErrorCode.TARGETING_KEY_MISSING,
  NO_ACTIVE_VERSION: ErrorCode.GENERAL,
  INVALID_ARGUMENT: ErrorCode.INVALID_CONTEXT,
  INTERNAL: ErrorCode.GENERAL,
};

function details<T>(r: Resolution<unknown>, value: T, defaultValue: T, variant?: string): ResolutionDetails<T> {
  if (r.reason === 'error') {
    const code = r.errorCode ?? 'INTERNAL';
    return {
      value: defaultValue,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ERRORS[code],
      errorMessage: code,
      flagMetadata: { serial: r.serial },
    };
  }
  const out: ResolutionDetails<T> = {
    value,
    reason: REASONS[r.reason],
    flagMetadata: { serial: r.serial, rule: r.rule },
  };
  if (variant !== undefined) out.variant = variant;
  return out;
}

function notFound<T>(defaultValue: T, message: string): ResolutionDetails<T> {
  return {
    value: defaultValue,
    reason: StandardResolutionReasons.ERROR,
    errorCode: ErrorCode.FLAG_NOT_FOUND,
    errorMessage: message,
  };
}

function typeMismatch<T>(defaultValue: T, message: string): ResolutionDetails<T> {
  return {
    value: defaultValue,
    reason: StandardResolutionReasons.ERROR,
    errorCode: ErrorCode.TYPE_MISMATCH,
    errorMessage: message,
  };
}

function unitOf(context: EvaluationContext): string | undefined {
  return typeof context.targetingKey === 'string' ? context.targetingKey : undefined;
}

function split(flagKey: string): [string, string] {
  const i = flagKey.indexOf(':');
  return i < 0 ? ['', flagKey] : [flagKey.slice(0, i), flagKey.slice(i + 1)];
}

/** OpenFeature keys whose answers may differ after a swap. */
export function openFeatureKeys(change: BundleChange): string[] {
  const keys = new Set<string>(change.changed.flags);
  for (const alias of change.changed.models) keys.add(`model:${alias}`).add(alias);
  for (const name of change.changed.prompts) keys.add(`prompt:${name}`).add(name);
  for (const id of change.changed.experiments) keys.add(`experiment:${id}`).add(id);
  for (const id of change.changed.canaries) keys.add(`canary:${id}`);
  for (const id of change.changed.embeddingMigrations) keys.add(`embedding:${id}`);
  for (const flag of change.changed.modelRollouts) keys.add(flag);
  return [...keys].sort();
}

export class SwitchyardProvider implements Provider {
  readonly metadata = { name: 'switchyard' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private readonly client: SwitchyardClient;
  private readonly options: SwitchyardProviderOptions;
  private unsubscribe: (() => void) | null = null;

  constructor(client: SwitchyardClient, options: SwitchyardProviderOptions = {}) {
    this.client = client;
    this.options = options;
  }

  async initialize(): Promise<void> {
    this.unsubscribe ??= this.client.onChange((change) => {
      this.events.emit(ProviderEvents.ConfigurationChanged, {
        flagsChanged: openFeatureKeys(change),
        metadata: { serial: change.serial },
      });
    });
    await this.client.ready(this.options.readyTimeoutMs ?? 30_000);
  }

  async onClose(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.options.closeClient === true) await this.client.close();
  }

  async resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    const r = this.client.isEnabled(flagKey, { unitKey: unitOf(context) });
    return details(r, r.value, defaultValue, r.reason === 'error' ? undefined : r.value ? 'on' : 'off');
  }

  async resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    const [kind, name] = split(flagKey);
    const unitKey = unitOf(context);
    const c = this.client;
    const resolvedKind =
      kind !== ''
        ? kind
        : !c.status().ready
          ? 'model'
          : c.definition('models', name)
            ? 'model'
            : c.definition('prompts', name)
              ? 'prompt'
              : c.definition('experiments', name)
                ? 'experiment'
                : '';
    if (resolvedKind === 'model') {
      const snapshot = typeof context.conversationSnapshot === 'string' ? context.conversationSnapshot : null;
      const r = this.client.resolveModel(name, { unitKey, conversation: snapshot === null ? null : { snapshot } });
      return details(r, r.value ?? defaultValue, defaultValue, r.value ?? undefined);
    }
    if (resolvedKind === 'prompt') {
      const r = this.client.getPrompt(name, { unitKey });
      const v = r.value;
      return details(
        r,
        v === null ? defaultValue : String(v.version),
        defaultValue,
        v?.variant ?? (v === null ? undefined : `v${v.version}`),
      );
    }
    if (resolvedKind === 'experiment') {
      const r = this.client.assignExperiment(name, { unitKey });
      return details(r, r.value.variant ?? defaultValue, defaultValue, r.value.variant ?? undefined);
    }
    if (kind === '') return notFound(defaultValue, `${flagKey} is no model alias, prompt or experiment`);
    return typeMismatch(defaultValue, `${kind}: keys have no string value (use model:, prompt: or experiment:)`);
  }

  async resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    const [kind, name] = split(flagKey);
    if (kind !== 'prompt' && kind !== '')
      return typeMismatch(defaultValue, `${kind}: keys have no number value (use prompt:)`);
    const r = this.client.getPrompt(name, { unitKey: unitOf(context) });
    const v = r.value;
    return details(
      r,
      v === null ? defaultValue : v.version,
      defaultValue,
      v?.variant ?? (v === null ? undefined : `v${v.version}`),
    );
  }

  async resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    const [kind, name] = split(flagKey);
    if (kind === 'canary') {
      const r = this.client.canary(name, { unitKey: unitOf(context) });
      return details(r, (r.value?.pipeline ?? defaultValue) as T, defaultValue, r.value?.variant);
    }
    if (kind === 'embedding') {
      const r = this.client.embeddingRoute(name);
      const v = r.value;
      const value =
        v === null
          ? defaultValue
          : ({
              phase: v.phase,
              write: [...v.write],
              read: [...v.read],
              backfillActive: v.backfillActive,
            } as unknown as T);
      return details(r, value, defaultValue, v?.phase);
    }
    return typeMismatch(defaultValue, 'object values are canary:<id> or embedding:<migration>');
  }
}
