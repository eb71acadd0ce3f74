/**
 * The compiler: a loaded project + an environment + a commit → the payload for that environment,
 * as canonical JSON bytes and their SHA-256. Pure and deterministic: nothing from the machine (time,
 * paths, iteration order of the file system) reaches the payload, so the same commit and
 * environment always yield byte-identical output.
 */

import type { Checked, Diagnostic } from '../config/diagnostics.ts';
import type { Project } from '../config/types.ts';
import { bundleDiagnostic } from './codes.ts';
import { filesOf, type CompileContext } from './compile-context.ts';
import { compileExperiments } from './compile-experiments.ts';
import { compileModels } from './compile-models.ts';
import { compilePrompts } from './compile-prompts.ts';
import { compileRollouts } from './compile-rollouts.ts';
import { canonicalBytes, CanonicalJsonError, PAYLOAD_FORMAT, sha256Hex, type BundlePayload } from './runtime-format.ts';

export { schemaMigrationPayload } from './schema-migration-payload.ts';

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
 * Compiles one environment's payload. Returns errors (and no value) when the project cannot be
 * compiled faithfully; never throws on bad input.
 */
export function compileBundle(project: Project, options: CompileOptions): Checked<CompiledBundle> {
  const { env, commit } = options;
  const envs = new Set(project.settings.environments.map((e) => e.name));
  const targetErrors = checkTarget(envs, options);
  if (targetErrors.length > 0) return { value: undefined, errors: targetErrors, warnings: [] };

  const context: CompileContext = { project, env, envs, fileOf: filesOf(project.files), errors: [], warnings: [] };
  const rollouts = compileRollouts(context);
  const models = compileModels(context, rollouts);
  // Experiments before prompts: a prompt names its running experiment.
  const { experiments, runningByPrompt } = compileExperiments(context);
  const prompts = compilePrompts(context, runningByPrompt);
  if (context.errors.length > 0) return { value: undefined, errors: context.errors, warnings: context.warnings };

  return encodePayload(context, {
    format: PAYLOAD_FORMAT,
    project: project.settings.project,
    env,
    commit,
    models,
    prompts,
    flags: rollouts.flags,
    modelRollouts: rollouts.modelRollouts,
    experiments,
    canaries: rollouts.canaries,
    embeddingMigrations: rollouts.embeddingMigrations,
    schemaMigrations: rollouts.schemaMigrations,
  });
}

/** The environment must be declared and the commit a full id: nothing else is worth compiling otherwise. */
function checkTarget(envs: Set<string>, { env, commit }: CompileOptions): Diagnostic[] {
  const errors: Diagnostic[] = [];
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
  return errors;
}

/** The payload's RFC 8785 bytes and content address, or `E_BUNDLE_NOT_JSON` when it has none. */
function encodePayload(context: CompileContext, payload: BundlePayload): Checked<CompiledBundle> {
  const { errors, warnings } = context;
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
