import type { CheckContext } from './check-context.ts';
import type { Diagnostic } from './diagnostics.ts';

/**
 * `environments.<env>.killed: false` never has an effect: the kill switch is global, so an
 * override can kill one environment but cannot revive a resource killed at the top level (the
 * compiler computes `killed || override.killed`). Writing it suggests the author expects a revive,
 * so it is worth a warning. Kept out of `CODES` until the catalogue's docs are regenerated.
 */
export const W_KILL_OVERRIDE_NO_EFFECT = {
  code: 'W_KILL_OVERRIDE_NO_EFFECT',
  summary: 'An environment override sets `killed: false`, which has no effect: the kill switch is global.',
  hint: 'Remove the override; to revive, set the top-level `killed: false` (an override can only kill one environment).',
} as const;

/** Warns on every `environments.<env>.killed: false` of a percentage rollout. */
export function checkKillOverrides(ctx: CheckContext): void {
  for (const resource of ctx.valid('rollout')) {
    const environments = resource.data['environments'];
    if (typeof environments !== 'object' || environments === null) continue;
    for (const [env, override] of Object.entries(environments as Record<string, unknown>)) {
      if (typeof override !== 'object' || override === null || (override as { killed?: unknown }).killed !== false) continue;
      const pointer = `/environments/${env.replaceAll('~', '~0').replaceAll('/', '~1')}/killed`;
      const revive = resource.data['killed'] === true ? ` It does not revive '${resource.name}' in ${env}: the resource is killed everywhere.` : '';
      const diagnostic: Diagnostic = {
        code: W_KILL_OVERRIDE_NO_EFFECT.code,
        severity: 'warning',
        message: `environments.${env}.killed: false has no effect (the kill switch is global).${revive}`,
        hint: W_KILL_OVERRIDE_NO_EFFECT.hint,
        file: resource.file.path,
        ...resource.file.locate(pointer),
        pointer,
      };
      ctx.report(diagnostic);
    }
  }
}
