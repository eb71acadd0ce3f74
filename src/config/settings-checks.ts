import type { CheckContext } from './check-context.ts';
import { didYouMean } from './did-you-mean.ts';
import type { ProjectSettings } from './types.ts';

/**
 * switchyard.yaml: environment names are unique (they key overrides and publish folders), and the
 * grader model alias, when named, has a pin.
 */
export function checkSettings(ctx: CheckContext): void {
  const resource = ctx.valid('settings')[0];
  if (!resource) return;
  const settings = resource.data as unknown as ProjectSettings;
  const seen = new Set<string>();
  settings.environments.forEach((env, i) => {
    if (seen.has(env.name))
      ctx.report(
        resource.file.diagnostic(
          'E_DUPLICATE_NAME',
          `/environments/${i}/name`,
          `environment '${env.name}' is declared twice.`,
        ),
      );
    seen.add(env.name);
  });
  const grader = settings.eval.grader;
  if (grader !== undefined && !ctx.exists('model', grader)) {
    const suggestion = didYouMean(grader, ctx.project.models.keys());
    ctx.report(
      resource.file.diagnostic(
        'E_DANGLING_REF',
        '/eval/grader',
        `grader model alias '${grader}' does not exist (no models/${grader}.yaml).`,
        suggestion ? { hint: `Did you mean '${suggestion}'?` } : {},
      ),
    );
  }
}
