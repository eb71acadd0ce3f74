import { checkEnvironmentKeys, type CheckContext } from './check-context.ts';
import { didYouMean } from './did-you-mean.ts';
import type { Experiment } from './types.ts';

/** Experiments: prompt and version references, weights, one running experiment per prompt. */
export function checkExperiments(ctx: CheckContext): void {
  const runningByPrompt = new Map<string, string[]>();
  for (const resource of ctx.valid('experiment')) {
    const experiment = resource.data as unknown as Experiment;
    const at = resource.file;
    checkEnvironmentKeys(ctx, resource, experiment.environments);
    const versions = ctx.project.prompts.get(experiment.prompt);
    if (!ctx.exists('prompt', experiment.prompt)) {
      const suggestion = didYouMean(experiment.prompt, ctx.project.prompts.keys());
      ctx.report(
        at.diagnostic(
          'E_DANGLING_REF',
          '/prompt',
          `prompt '${experiment.prompt}' does not exist (no prompts/${experiment.prompt}/).`,
          suggestion ? { hint: `Did you mean '${suggestion}'?` } : {},
        ),
      );
    }
    let sum = 0;
    for (const [name, variant] of Object.entries(experiment.variants)) {
      sum += variant.weight;
      if (!versions) continue;
      const target = versions.get(variant.version);
      if (!ctx.exists('prompt', experiment.prompt, variant.version)) {
        ctx.report(
          at.diagnostic(
            'E_DANGLING_REF',
            `/variants/${name}/version`,
            `variant '${name}' serves ${experiment.prompt} v${variant.version}, which does not exist.`,
            {
              hint: `Existing versions: ${[...versions.keys()].map((v) => `v${v}`).join(', ')}.`,
            },
          ),
        );
      } else if (experiment.status === 'running' && target?.status === 'deprecated') {
        ctx.report(
          at.diagnostic(
            'W_EXPERIMENT_DEPRECATED_VERSION',
            `/variants/${name}/version`,
            `running experiment serves ${experiment.prompt} v${variant.version}, which is deprecated.`,
          ),
        );
      }
    }
    if (Math.abs(sum - 100) > 1e-9) {
      ctx.report(
        at.diagnostic('E_WEIGHTS_SUM', '/variants', `variant weights sum to ${Number(sum.toFixed(6))}, not 100.`),
      );
    }
    const statuses = [experiment.status, ...Object.values(experiment.environments ?? {}).map((e) => e.status)];
    if (statuses.includes('running')) {
      const list = runningByPrompt.get(experiment.prompt) ?? [];
      list.push(resource.name);
      runningByPrompt.set(experiment.prompt, list);
    }
  }
  for (const [prompt, names] of runningByPrompt) {
    if (names.length < 2) continue;
    for (const name of names) {
      const resource = ctx.find('experiment', name);
      if (resource)
        ctx.report(
          resource.file.diagnostic(
            'E_MULTIPLE_EXPERIMENTS',
            '/status',
            `prompt '${prompt}' has ${names.length} running experiments (${names.join(', ')}).`,
          ),
        );
    }
  }
}
