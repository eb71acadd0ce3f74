import type { Diagnostic } from '../config/diagnostics.ts';
import type { Project } from '../config/types.ts';
import { bundleDiagnostic } from './codes.ts';

/** Diagnostics name the resource's file: the loader's record when it has one, else the layout's path. */
export function filesOf(files: ReadonlyMap<string, string>) {
  return {
    rollout: (name: string) => files.get(`rollout:${name}`) ?? `rollouts/${name}.yaml`,
    experiment: (id: string) => files.get(`experiment:${id}`) ?? `experiments/${id}.yaml`,
    model: (alias: string) => files.get(`model:${alias}`) ?? `models/${alias}.yaml`,
    prompt: (name: string, version: number) =>
      files.get(`prompt:${name}@${version}`) ?? `prompts/${name}/v${version}.yaml`,
  };
}
export type FileOf = ReturnType<typeof filesOf>;

/**
 * What every compile step shares: the project, the environment being compiled, the declared
 * environments, where each resource's file is, and the diagnostics collected so far (in the order
 * the steps run, so a report lists them the same way every time).
 */
export interface CompileContext {
  project: Project;
  env: string;
  envs: Set<string>;
  fileOf: FileOf;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** Records `E_BUNDLE_RANGE` when `value` is outside `0..max` (NaN included). */
export function rangeCheck(
  context: CompileContext,
  value: number,
  max: number,
  file: string,
  pointer: string,
  what: string,
): void {
  if (!(value >= 0 && value <= max))
    context.errors.push(bundleDiagnostic('E_BUNDLE_RANGE', file, `${what} ${value} is outside 0..${max}`, pointer));
}

/** Warns about per-environment overrides naming an environment switchyard.yaml does not declare. */
export function checkOverrideEnvs(
  context: CompileContext,
  overrides: Record<string, unknown> | undefined,
  file: string,
): void {
  for (const name of Object.keys(overrides ?? {}).sort()) {
    if (!context.envs.has(name)) {
      context.warnings.push(
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
