/**
 * The compiler: a loaded project + an environment + a commit → the payload for that environment,
 * as canonical JSON bytes and their SHA-256. Pure and deterministic: nothing from the machine (time,
 * paths, iteration order of the file system) reaches the payload, so the same commit and
 * environment always yield byte-identical output.
 */

import type { Checked, Diagnostic } from '../config/diagnostics.ts';
import type {
  CanaryResource,
  EmbeddingMigrationResource,
  Experiment,
  ModelRolloutResource,
  Project,
  RolloutResource,
  SchemaMigrationResource,
} from '../config/types.ts';
import { bundleDiagnostic } from './codes.ts';
import { payloadProvider } from './payload-provider.ts';
import { effectivePercent } from './effective-percent.ts';
import {
  canonicalBytes,
  effectiveParams,
  CanonicalJsonError,
  PAYLOAD_FORMAT,
  sha256Hex,
  type BundlePayload,
  type PayloadCanary,
  type PayloadEmbeddingMigration,
  type PayloadExperiment,
  type PayloadFlag,
  type PayloadModel,
  type PayloadModelRollout,
  type PayloadPrompt,
  type PayloadSchemaMigration,
} from './runtime-format.ts';
import { embeddingRoutes, embeddingTarget, experimentSlots, nextStage, shareToPpm, thresholdPpm } from './tables.ts';

export interface CompileOptions {
  /** Environment name (one of switchyard.yaml's environments). */
  env: string;
  /** Full commit id the project was loaded from; recorded in the payload. */
  commit: string;
}

export interface CompiledBundle {
  payload: BundlePayload;
  /** RFC 8785 canonical JSON of `payload`, UTF-8. */
  bytes: Uint8Array;
  /** Lower-case hex SHA-256 of `bytes`: the payload's content address. */
  sha256: string;
}

/** Repo-relative content-addressed path of a payload inside an environment directory. */
export function payloadPath(sha256: string): string {
  return `payload/${sha256}.json`;
}

/**
 * The bundle form of a SchemaMigration (also what `switchyard migrate conversations` runs, so the
 * background job and the runtime's lazy path apply one upgrade). `copyToMessages` is written only
 * when the plan uses it: plans without it compile to the same bytes as before it existed, and the
 * runtime reads an absent field as `{}`.
 */
export function schemaMigrationPayload(r: SchemaMigrationResource): PayloadSchemaMigration {
  const copyToMessages = r.upgrade.copyToMessages ?? {};
  return {
    id: r.migration,
    entity: r.entity,
    from: r.from,
    to: r.to,
    mode: r.mode,
    upgrade: {
      add: r.upgrade.add ?? {},
      rename: r.upgrade.rename ?? {},
      addToMessages: r.upgrade.addToMessages ?? {},
      ...(Object.keys(copyToMessages).length > 0 ? { copyToMessages } : {}),
    },
    batchSize: r.batchSize,
  };
}

type PercentResource = Exclude<RolloutResource, EmbeddingMigrationResource | SchemaMigrationResource>;

function isPercentResource(r: RolloutResource): r is PercentResource {
  return r.kind === 'Flag' || r.kind === 'ModelRollout' || r.kind === 'Canary';
}

/** Diagnostics name the resource's file: the loader's record when it has one, else the layout's path. */
function filesOf(files: ReadonlyMap<string, string>) {
  return {
    rollout: (name: string) => files.get(`rollout:${name}`) ?? `rollouts/${name}.yaml`,
    experiment: (id: string) => files.get(`experiment:${id}`) ?? `experiments/${id}.yaml`,
    model: (alias: string) => files.get(`model:${alias}`) ?? `models/${alias}.yaml`,
    prompt: (name: string, version: number) =>
      files.get(`prompt:${name}@${version}`) ?? `prompts/${name}/v${version}.yaml`,
  };
}
type FileOf = ReturnType<typeof filesOf>;

function checkOverrideEnvs(
  overrides: Record<string, unknown> | undefined,
  envs: Set<string>,
  file: string,
  warnings: Diagnostic[],
): void {
  for (const name of Object.keys(overrides ?? {}).sort()) {
    if (!envs.has(name)) {
      warnings.push(
        bundleDiagnostic(
          'W_BUNDLE_OVERRIDE_UNKNOWN_ENV',
          file,
          `override for unknown environment "${name}" is ignored`,
          `/environments/${name}`,
        ),
      );
    }
  }
}

/**
 * Compiles one environment's payload. Returns errors (and no value) when the project cannot be
 * compiled faithfully; never throws on bad input.
 */
export function compileBundle(project: Project, options: CompileOptions): Checked<CompiledBundle> {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const { env, commit } = options;
  const fileOf = filesOf(project.files);
  const envs = new Set(project.settings.environments.map((e) => e.name));
  if (!envs.has(env)) {
    errors.push(
      bundleDiagnostic(
        'E_BUNDLE_UNKNOWN_ENV',
        'switchyard.yaml',
        `environment "${env}" is not declared (declared: ${[...envs].join(', ') || 'none'})`,
        '/environments',
      ),
    );
  }
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(commit)) {
    errors.push(
      bundleDiagnostic(
        'E_BUNDLE_BAD_COMMIT',
        'switchyard.yaml',
        `commit "${commit}" is not a full lower-case commit id`,
      ),
    );
  }
  if (errors.length > 0) return { value: undefined, errors, warnings };

  const rangeCheck = (value: number, max: number, file: string, pointer: string, what: string): void => {
    if (!(value >= 0 && value <= max))
      errors.push(bundleDiagnostic('E_BUNDLE_RANGE', file, `${what} ${value} is outside 0..${max}`, pointer));
  };

  // Flags, model rollouts, canaries.
  const flags: Record<string, PayloadFlag> = {};
  const modelRollouts: Record<string, PayloadModelRollout> = {};
  const canaries: Record<string, PayloadCanary> = {};
  const embeddingMigrations: Record<string, PayloadEmbeddingMigration> = {};
  const schemaMigrations: Record<string, PayloadSchemaMigration> = {};
  const activeRolloutByModel = new Map<string, string[]>();
  const killedRolloutByModel = new Map<string, string[]>();

  for (const [name, r] of [...project.rollouts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const file = fileOf.rollout(name);
    checkOverrideEnvs('environments' in r ? r.environments : undefined, envs, file, warnings);
    if (isPercentResource(r)) {
      const { percent, killed } = effectivePercent(r, env);
      rangeCheck(
        percent,
        100,
        file,
        env in (r.environments ?? {}) ? `/environments/${env}/percent` : '/percent',
        'percent',
      );
      flags[r.flag] = {
        name: r.flag,
        kind: r.kind,
        seed: r.seed ?? r.flag,
        unit: r.unit,
        percent,
        thresholdPpm: thresholdPpm(percent, killed),
        killed,
        stages: [...r.stages],
      };
      if (r.kind === 'ModelRollout')
        compileModelRollout(
          project,
          r,
          killed,
          modelRollouts,
          activeRolloutByModel,
          killedRolloutByModel,
          errors,
          rangeCheck,
          fileOf,
        );
      if (r.kind === 'Canary') canaries[r.flag] = compileCanary(r, percent);
    } else if (r.kind === 'EmbeddingMigration') {
      const phase = r.environments?.[env]?.phase ?? r.phase;
      const routes = embeddingRoutes(phase, r.from, r.to, r.storage);
      embeddingMigrations[r.migration] = {
        id: r.migration,
        phase,
        from: embeddingTarget(r.from, r.storage, 'from'),
        to: embeddingTarget(r.to, r.storage, 'to'),
        write: routes.write,
        read: routes.read,
        backfill: {
          batchSize: r.backfill.batchSize,
          concurrency: r.backfill.concurrency,
          active: routes.backfillActive,
        },
      };
    } else {
      schemaMigrations[r.migration] = schemaMigrationPayload(r);
    }
  }

  // Models.
  const models: Record<string, PayloadModel> = {};
  for (const [alias, pin] of project.models) {
    const active = activeRolloutByModel.get(alias) ?? [];
    if (active.length > 1) {
      errors.push(
        bundleDiagnostic(
          'E_BUNDLE_ROLLOUT_CONFLICT',
          fileOf.model(alias),
          `model "${alias}" has ${active.length} active rollouts in ${env}: ${active.join(', ')}`,
        ),
      );
    }
    models[alias] = {
      alias,
      provider: payloadProvider(pin.provider),
      snapshot: pin.snapshot,
      params: { ...pin.params },
      conversations: pin.conversations,
      retired: [...pin.retired],
      rollout: active[0] ?? killedRolloutByModel.get(alias)?.[0] ?? null,
    };
  }

  // Experiments (before prompts: a prompt names its running experiment).
  const experiments: Record<string, PayloadExperiment> = {};
  const runningByPrompt = new Map<string, string[]>();
  for (const [id, e] of project.experiments) {
    const compiled = compileExperiment(project, e, env, envs, errors, warnings, rangeCheck, fileOf);
    experiments[id] = compiled;
    if (compiled.status === 'running')
      runningByPrompt.set(e.prompt, [...(runningByPrompt.get(e.prompt) ?? []), id].sort());
  }

  // Prompts.
  const prompts: Record<string, PayloadPrompt> = {};
  for (const [name, versions] of project.prompts) {
    const running = runningByPrompt.get(name) ?? [];
    if (running.length > 1) {
      errors.push(
        bundleDiagnostic(
          'E_BUNDLE_EXPERIMENT_CONFLICT',
          fileOf.experiment(running[1]!),
          `prompt "${name}" has ${running.length} running experiments in ${env}: ${running.join(', ')}`,
        ),
      );
    }
    const out: PayloadPrompt = { name, active: null, versions: {}, experiment: running[0] ?? null };
    for (const [number, v] of versions) {
      const pin = project.models.get(v.model);
      if (!pin) {
        errors.push(
          bundleDiagnostic(
            'E_BUNDLE_DANGLING_REF',
            fileOf.prompt(name, number),
            `prompt ${name} v${number} uses unknown model "${v.model}"`,
            '/model',
          ),
        );
      }
      if (v.status === 'active') out.active = out.active === null ? number : Math.max(out.active, number);
      out.versions[String(number)] = {
        version: number,
        status: v.status,
        model: v.model,
        // Effective parameters: the pin's defaults overridden by the version's own.
        params: effectiveParams(pin?.params, v.params),
        messages: v.messages.map((m) => ({ role: m.role, content: m.content })),
        variables: [...v.variables],
      };
    }
    prompts[name] = out;
  }

  if (errors.length > 0) return { value: undefined, errors, warnings };

  const payload: BundlePayload = {
    format: PAYLOAD_FORMAT,
    project: project.settings.project,
    env,
    commit,
    models,
    prompts,
    flags,
    modelRollouts,
    experiments,
    canaries,
    embeddingMigrations,
    schemaMigrations,
  };
  let bytes: Uint8Array;
  try {
    bytes = canonicalBytes(payload);
  } catch (error) {
    if (!(error instanceof CanonicalJsonError)) throw error;
    errors.push(
      bundleDiagnostic(
        'E_BUNDLE_NOT_JSON',
        'switchyard.yaml',
        `the compiled payload has no canonical JSON form: ${error.message}`,
        error.pointer,
      ),
    );
    return { value: undefined, errors, warnings };
  }
  return { value: { payload, bytes, sha256: sha256Hex(bytes) }, errors, warnings };
}

type RangeCheck = (value: number, max: number, file: string, pointer: string, what: string) => void;

function compileModelRollout(
  project: Project,
  r: ModelRolloutResource,
  killed: boolean,
  out: Record<string, PayloadModelRollout>,
  activeByModel: Map<string, string[]>,
  killedByModel: Map<string, string[]>,
  errors: Diagnostic[],
  rangeCheck: RangeCheck,
  fileOf: FileOf,
): void {
  const file = fileOf.rollout(r.flag);
  const pin = project.models.get(r.model);
  if (!pin) {
    errors.push(
      bundleDiagnostic(
        'E_BUNDLE_DANGLING_REF',
        file,
        `model rollout ${r.flag} targets unknown model "${r.model}"`,
        '/model',
      ),
    );
    return;
  }
  rangeCheck(r.shadow.sampleRate, 1, file, '/shadow/sampleRate', 'shadow sampleRate');
  out[r.flag] = {
    flag: r.flag,
    model: r.model,
    from: pin.snapshot,
    to: r.to,
    shadow: {
      dataset: r.shadow.dataset,
      sampleRate: r.shadow.sampleRate,
      sampleRatePpm: shareToPpm(r.shadow.sampleRate),
      gate: { minAvgSimilarity: r.shadow.gate.minAvgSimilarity, minMinSimilarity: r.shadow.gate.minMinSimilarity },
    },
  };
  // A killed rollout stays attached to its model so the runtime answers `killed` (not `default`) while
  // the kill switch is on. A rollout at 0% is attached too: nobody is served the candidate, but
  // shadow() samples it — shadow mode before the first stage, as the article runs it.
  if (killed) killedByModel.set(r.model, [...(killedByModel.get(r.model) ?? []), r.flag]);
  else activeByModel.set(r.model, [...(activeByModel.get(r.model) ?? []), r.flag]);
}

function compileCanary(r: CanaryResource, percent: number): PayloadCanary {
  return {
    flag: r.flag,
    control: { ...r.control },
    candidate: { ...r.candidate },
    analysis: {
      metric: r.analysis.metric,
      revertBelow: r.analysis.revertBelow,
      advanceAbove: r.analysis.advanceAbove,
      minSamples: r.analysis.minSamples,
      next: r.analysis.next ?? nextStage(r.stages, percent),
    },
  };
}

function compileExperiment(
  project: Project,
  e: Experiment,
  env: string,
  envs: Set<string>,
  errors: Diagnostic[],
  warnings: Diagnostic[],
  rangeCheck: RangeCheck,
  fileOf: FileOf,
): PayloadExperiment {
  const file = fileOf.experiment(e.experiment);
  checkOverrideEnvs(e.environments, envs, file, warnings);
  const override = e.environments?.[env];
  const status = override?.status ?? e.status;
  const traffic = override?.traffic ?? e.traffic;
  rangeCheck(
    traffic,
    100,
    file,
    override?.traffic !== undefined ? `/environments/${env}/traffic` : '/traffic',
    'traffic',
  );
  const weights = Object.values(e.variants).map((v) => v.weight);
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.some((w) => !(w >= 0)) || Math.abs(sum - 100) > 1e-9) {
    errors.push(bundleDiagnostic('E_BUNDLE_WEIGHTS', file, `variant weights sum to ${sum}, not 100`, '/variants'));
  }
  const versions = project.prompts.get(e.prompt);
  if (!versions) {
    errors.push(
      bundleDiagnostic(
        'E_BUNDLE_DANGLING_REF',
        file,
        `experiment ${e.experiment} uses unknown prompt "${e.prompt}"`,
        '/prompt',
      ),
    );
  } else {
    for (const [name, v] of Object.entries(e.variants)) {
      if (!versions.has(v.version)) {
        errors.push(
          bundleDiagnostic(
            'E_BUNDLE_DANGLING_REF',
            file,
            `variant ${name} uses ${e.prompt} v${v.version}, which does not exist`,
            `/variants/${name}/version`,
          ),
        );
      }
    }
  }
  return {
    id: e.experiment,
    status,
    prompt: e.prompt,
    unit: e.unit,
    seed: e.seed ?? e.experiment,
    traffic,
    variants: experimentSlots(e.variants, traffic),
    metrics: { primary: e.metrics.primary, guardrails: [...e.metrics.guardrails] },
    minSamples: e.minSamples,
  };
}
