import type { SchemaMigrationResource } from '../config/types.ts';
import type { PayloadSchemaMigration } from './runtime-format.ts';

/**
 * The bundle form of a SchemaMigration (also what `switchyard migrate conversations` runs, so the
 * background job and the runtime's lazy path apply one upgrade). `copyToMessages` is written only
 * when the plan uses it: plans without it compile to the same bytes as before it existed, and the
 * runtime reads an absent field as `{}`.
 */
export function schemaMigrationPayload(r: SchemaMigrationResource): PayloadSchemaMigration {
  const copyToMessages = r.upgrade.copyToMessages ?? {};
  return {
    id: r.migration,
    entity: r.entity,
    from: r.from,
    to: r.to,
    mode: r.mode,
    upgrade: {
      add: r.upgrade.add ?? {},
      rename: r.upgrade.rename ?? {},
      addToMessages: r.upgrade.addToMessages ?? {},
      ...(Object.keys(copyToMessages).length > 0 ? { copyToMessages } : {}),
    },
    batchSize: r.batchSize,
  };
}
