/**
 * Which SchemaMigration plan `switchyard migrate conversations` runs, taken from the loaded project
 * (rollouts/*.yaml, kind: SchemaMigration, entity: conversation) and turned into the same shape the
 * compiler puts in the bundle, so the runner and the runtime's lazy path apply one upgrade.
 */
import type { PayloadSchemaMigration } from '@switchyard/runtime';
import { schemaMigrationPayload } from '../../bundle/compile.ts';
import type { Project, SchemaMigrationResource, SchemaMigrationStorage } from '../../config/index.ts';
import type { Result } from '../../errors/index.ts';

/**
 * The plan to run: its bundle form, and — outside the bundle, since only the runner reads the
 * application's table — its `storage:` block and file (for messages).
 */
export type PlanResult = Result<{
  migration: PayloadSchemaMigration;
  storage?: SchemaMigrationStorage;
  source: string;
}>;

function planOf(project: Project, plan: SchemaMigrationResource): PlanResult {
  return {
    ok: true,
    migration: toPayloadMigration(plan),
    ...(plan.storage ? { storage: plan.storage } : {}),
    source: project.files.get(`rollout:${plan.migration}`) ?? `rollouts/${plan.migration}.yaml`,
  };
}

/** The bundle form of a SchemaMigration resource: exactly what `compileBundle` writes into `schemaMigrations`. */
export const toPayloadMigration = schemaMigrationPayload;

/**
 * Picks the conversation SchemaMigration: `id` when given, else the only one. Errors:
 * `E_MIGRATE_UNKNOWN` (no such plan), `E_MIGRATE_ENTITY` (the plan migrates something else),
 * `E_MIGRATE_NO_PLAN` (none declared), `E_MIGRATE_AMBIGUOUS` (several: name one).
 */
export function selectConversationMigration(project: Project, id?: string): PlanResult {
  const plans = [...project.rollouts.values()].filter(
    (r): r is SchemaMigrationResource => r.kind === 'SchemaMigration',
  );
  if (id !== undefined) {
    const plan = plans.find((p) => p.migration === id);
    if (!plan) {
      return {
        ok: false,
        code: 'E_MIGRATE_UNKNOWN',
        message: `no SchemaMigration '${id}' in rollouts/ (known: ${plans.map((p) => p.migration).join(', ') || 'none'})`,
      };
    }
    if (plan.entity !== 'conversation') {
      return {
        ok: false,
        code: 'E_MIGRATE_ENTITY',
        message: `SchemaMigration '${id}' migrates '${plan.entity}' records, not conversations`,
      };
    }
    return planOf(project, plan);
  }
  const conversation = plans.filter((p) => p.entity === 'conversation');
  if (conversation.length === 0) {
    return {
      ok: false,
      code: 'E_MIGRATE_NO_PLAN',
      message:
        'no SchemaMigration with entity: conversation in rollouts/; declare one (see docs/guides/conversation-migration.md)',
    };
  }
  if (conversation.length > 1) {
    return {
      ok: false,
      code: 'E_MIGRATE_AMBIGUOUS',
      message: `several conversation SchemaMigrations (${conversation.map((p) => p.migration).join(', ')}): choose one with --migration <id>`,
    };
  }
  return planOf(project, conversation[0] as SchemaMigrationResource);
}
