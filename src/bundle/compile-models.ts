import { bundleDiagnostic } from './codes.ts';
import type { CompileContext } from './compile-context.ts';
import type { CompiledRollouts } from './compile-rollouts.ts';
import { payloadProvider } from './payload-provider.ts';
import type { PayloadModel } from './runtime-format.ts';

/**
 * Model pins, each with the rollout attached to it: the active one, else a killed one (so the
 * runtime can answer `killed`). Two active rollouts of one model in an environment are a conflict.
 */
export function compileModels(
  context: CompileContext,
  rollouts: Pick<CompiledRollouts, 'activeRolloutByModel' | 'killedRolloutByModel'>,
): Record<string, PayloadModel> {
  const { project, env, fileOf } = context;
  const models: Record<string, PayloadModel> = {};
  for (const [alias, pin] of project.models) {
    const active = rollouts.activeRolloutByModel.get(alias) ?? [];
    if (active.length > 1) {
      context.errors.push(
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
      rollout: active[0] ?? rollouts.killedRolloutByModel.get(alias)?.[0] ?? null,
    };
  }
  return models;
}
