import { bundleDiagnostic } from './codes.ts';
import type { CompileContext } from './compile-context.ts';
import { effectiveParams, type PayloadPrompt } from './runtime-format.ts';

/**
 * Every prompt with its versions (effective parameters filled in), its highest active version and
 * its running experiment; more than one running experiment on a prompt is a conflict.
 */
export function compilePrompts(
  context: CompileContext,
  runningByPrompt: ReadonlyMap<string, string[]>,
): Record<string, PayloadPrompt> {
  const { project, env, fileOf, errors } = context;
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
  return prompts;
}
