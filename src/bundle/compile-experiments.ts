import type { Experiment } from '../config/types.ts';
import { bundleDiagnostic } from './codes.ts';
import { checkOverrideEnvs, rangeCheck, type CompileContext } from './compile-context.ts';
import type { PayloadExperiment } from './runtime-format.ts';
import { experimentSlots } from './tables.ts';

/** The experiments section, and the running experiments of each prompt (sorted ids). */
export interface CompiledExperiments {
  experiments: Record<string, PayloadExperiment>;
  runningByPrompt: Map<string, string[]>;
}

/** Every experiment at the environment's status and traffic. */
export function compileExperiments(context: CompileContext): CompiledExperiments {
  const experiments: Record<string, PayloadExperiment> = {};
  const runningByPrompt = new Map<string, string[]>();
  for (const [id, e] of context.project.experiments) {
    const compiled = compileExperiment(context, e);
    experiments[id] = compiled;
    if (compiled.status === 'running')
      runningByPrompt.set(e.prompt, [...(runningByPrompt.get(e.prompt) ?? []), id].sort());
  }
  return { experiments, runningByPrompt };
}

function compileExperiment(context: CompileContext, e: Experiment): PayloadExperiment {
  const { project, env, errors } = context;
  const file = context.fileOf.experiment(e.experiment);
  checkOverrideEnvs(context, e.environments, file);
  const override = e.environments?.[env];
  const status = override?.status ?? e.status;
  const traffic = override?.traffic ?? e.traffic;
  rangeCheck(
    context,
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
