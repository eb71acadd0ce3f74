import type { CheckContext } from './check-context.ts';
import type { ProjectSettings } from './types.ts';

/** switchyard.yaml: environment names are unique (they key overrides and publish folders). */
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
}
