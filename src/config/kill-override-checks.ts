import type { CheckContext } from './check-context.ts';

/**
 * `environments.<env>.killed: false` never has an effect: the kill switch is global, so an
 * override can kill one environment but cannot revive a resource killed at the top level (the
 * compiler computes `killed || override.killed`). Writing it suggests the author expects a revive,
 * so it is worth a warning (`W_KILL_OVERRIDE_NO_EFFECT`).
 */
export function checkKillOverrides(ctx: CheckContext): void {
  for (const resource of ctx.valid('rollout')) {
    const environments = resource.data['environments'];
    if (typeof environments !== 'object' || environments === null) continue;
    for (const [env, override] of Object.entries(environments as Record<string, unknown>)) {
      if (typeof override !== 'object' || override === null || (override as { killed?: unknown }).killed !== false)
        continue;
      const pointer = `/environments/${env.replaceAll('~', '~0').replaceAll('/', '~1')}/killed`;
      const revive =
        resource.data['killed'] === true
          ? ` It does not revive '${resource.name}' in ${env}: the resource is killed everywhere.`
          : '';
      ctx.report(
        resource.file.diagnostic(
          'W_KILL_OVERRIDE_NO_EFFECT',
          pointer,
          `environments.${env}.killed: false has no effect (the kill switch is global).${revive}`,
        ),
      );
    }
  }
}
