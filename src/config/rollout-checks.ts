import { checkEnvironmentKeys, type CheckContext } from './check-context.ts';
import { didYouMean } from './did-you-mean.ts';
import type { ParsedResource } from './read-resources.ts';
import type {
  CanaryResource,
  EmbeddingMigrationResource,
  FlagResource,
  ModelRolloutResource,
  RolloutResource,
  SchemaMigrationResource,
} from './types.ts';

type PercentResource = FlagResource | ModelRolloutResource | CanaryResource;

/** Rollouts: stages, percents, references, one model rollout per alias, migration sanity. */
export function checkRollouts(ctx: CheckContext): void {
  const rolloutsByModel = new Map<string, string[]>();
  for (const resource of ctx.valid('rollout')) {
    const rollout = resource.data as unknown as RolloutResource;
    checkEnvironmentKeys(ctx, resource, 'environments' in rollout ? rollout.environments : undefined);
    switch (rollout.kind) {
      case 'Flag':
        checkPercent(ctx, resource, rollout);
        break;
      case 'ModelRollout': {
        checkPercent(ctx, resource, rollout);
        checkModelRollout(ctx, resource, rollout);
        const list = rolloutsByModel.get(rollout.model) ?? [];
        list.push(resource.name);
        rolloutsByModel.set(rollout.model, list);
        break;
      }
      case 'Canary':
        checkPercent(ctx, resource, rollout);
        checkCanary(ctx, resource, rollout);
        break;
      case 'EmbeddingMigration':
        checkEmbeddingMigration(ctx, resource, rollout);
        break;
      case 'SchemaMigration':
        checkSchemaMigration(ctx, resource, rollout);
        break;
    }
  }
  for (const [model, names] of rolloutsByModel) {
    if (names.length < 2) continue;
    for (const name of names) {
      const resource = ctx.find('rollout', name);
      if (resource)
        ctx.report(
          resource.file.diagnostic(
            'E_MULTIPLE_ROLLOUTS',
            '/model',
            `model '${model}' has ${names.length} model rollouts (${names.join(', ')}).`,
          ),
        );
    }
  }
  // Seeds default to names: an experiment and a flag sharing a name would bucket the same units together.
  for (const resource of ctx.valid('experiment')) {
    if (ctx.project.rollouts.has(resource.name)) {
      ctx.report(
        resource.file.diagnostic(
          'E_DUPLICATE_NAME',
          '/experiment',
          `'${resource.name}' is both an experiment and a rollout (rollouts/${resource.name}.yaml).`,
        ),
      );
    }
  }
}

function checkPercent(ctx: CheckContext, resource: ParsedResource, rollout: PercentResource): void {
  const at = resource.file;
  const stages = rollout.stages;
  const badIndex = stages.findIndex((stage, i) => i > 0 && stage <= (stages[i - 1] ?? 0));
  if (badIndex > 0) {
    ctx.report(
      at.diagnostic(
        'E_STAGES_ORDER',
        `/stages/${badIndex}`,
        `stage ${stages[badIndex]} does not come after ${stages[badIndex - 1]}: stages must strictly ascend.`,
      ),
    );
  } else if (stages[stages.length - 1] !== 100) {
    ctx.report(
      at.diagnostic(
        'E_STAGES_ORDER',
        `/stages/${stages.length - 1}`,
        `the last stage is ${stages[stages.length - 1]}, not 100.`,
      ),
    );
  }
  const isStage = (percent: number): boolean => percent === 0 || stages.includes(percent);
  if (!isStage(rollout.percent)) {
    ctx.report(
      at.diagnostic(
        'E_PERCENT_NOT_STAGE',
        '/percent',
        `percent ${rollout.percent} is neither 0 nor one of the stages [${stages.join(', ')}].`,
      ),
    );
  }
  for (const [env, override] of Object.entries(rollout.environments ?? {})) {
    if (override.percent !== undefined && !isStage(override.percent)) {
      ctx.report(
        at.diagnostic(
          'E_PERCENT_NOT_STAGE',
          `/environments/${env}/percent`,
          `percent ${override.percent} in ${env} is neither 0 nor one of the stages [${stages.join(', ')}].`,
        ),
      );
    }
  }
}

function checkModelRollout(ctx: CheckContext, resource: ParsedResource, rollout: ModelRolloutResource): void {
  const at = resource.file;
  const model = ctx.project.models.get(rollout.model);
  if (!ctx.exists('model', rollout.model)) {
    const suggestion = didYouMean(rollout.model, ctx.project.models.keys());
    ctx.report(
      at.diagnostic(
        'E_DANGLING_REF',
        '/model',
        `model alias '${rollout.model}' does not exist (no models/${rollout.model}.yaml).`,
        suggestion ? { hint: `Did you mean '${suggestion}'?` } : {},
      ),
    );
  } else if (model && ctx.find('model', rollout.model)?.valid) {
    if (model.snapshot === rollout.to) {
      ctx.report(
        at.diagnostic(
          'E_ROLLOUT_TARGET',
          '/to',
          `'${rollout.to}' is already the snapshot of model '${rollout.model}'.`,
          { hint: 'Finish the rollout by deleting this file, or target a different snapshot.' },
        ),
      );
    } else if (model.retired.includes(rollout.to)) {
      ctx.report(
        at.diagnostic('E_ROLLOUT_TARGET', '/to', `'${rollout.to}' is retired in models/${rollout.model}.yaml.`),
      );
    }
  }
  if (!ctx.exists('dataset', rollout.shadow.dataset)) {
    const suggestion = didYouMean(rollout.shadow.dataset, ctx.project.datasets.keys());
    ctx.report(
      at.diagnostic(
        'E_DANGLING_REF',
        '/shadow/dataset',
        `dataset '${rollout.shadow.dataset}' does not exist (no datasets/${rollout.shadow.dataset}.jsonl).`,
        suggestion ? { hint: `Did you mean '${suggestion}'?` } : {},
      ),
    );
  }
}

function checkCanary(ctx: CheckContext, resource: ParsedResource, canary: CanaryResource): void {
  const at = resource.file;
  const { revertBelow, advanceAbove, next } = canary.analysis;
  if (revertBelow >= advanceAbove) {
    ctx.report(
      at.diagnostic(
        'E_CANARY_THRESHOLDS',
        '/analysis/revertBelow',
        `revertBelow ${revertBelow} must be below advanceAbove ${advanceAbove}.`,
      ),
    );
  }
  if (next !== undefined && (!canary.stages.includes(next) || next <= canary.percent)) {
    ctx.report(
      at.diagnostic(
        'E_CANARY_THRESHOLDS',
        '/analysis/next',
        `next ${next} must be a stage above the current percent ${canary.percent}.`,
      ),
    );
  }
}

function checkEmbeddingMigration(
  ctx: CheckContext,
  resource: ParsedResource,
  migration: EmbeddingMigrationResource,
): void {
  const { from, to } = migration;
  if (from.index === to.index) {
    ctx.report(
      resource.file.diagnostic(
        'E_MIGRATION_VERSIONS',
        '/to/index',
        `from and to use the same index '${to.index}': the new vectors would overwrite the old ones.`,
        { hint: 'Write the new embeddings to a new index.' },
      ),
    );
  } else if (from.model === to.model && from.dimension === to.dimension) {
    ctx.report(
      resource.file.diagnostic(
        'E_MIGRATION_VERSIONS',
        '/to/model',
        `from and to use the same model '${to.model}': nothing to migrate.`,
      ),
    );
  }
  const storage = migration.storage;
  if (storage && storage.from.column === storage.to.column) {
    ctx.report(
      resource.file.diagnostic(
        'E_MIGRATION_VERSIONS',
        '/storage/to/column',
        `storage.from.column and storage.to.column are both '${storage.to.column}': the new vectors would overwrite the old ones.`,
        { hint: 'Add a column for the new vectors and name it in storage.to.column.' },
      ),
    );
  }
}

function checkSchemaMigration(ctx: CheckContext, resource: ParsedResource, migration: SchemaMigrationResource): void {
  if (migration.to <= migration.from) {
    ctx.report(
      resource.file.diagnostic(
        'E_MIGRATION_VERSIONS',
        '/to',
        `to ${migration.to} must be greater than from ${migration.from}.`,
      ),
    );
  }
  // Copies read the record after rename and add. A source that a rename moves away is gone by then
  // (unless add puts it back): only a warning, since a record that also had the new name keeps both.
  const rename = migration.upgrade.rename ?? {};
  for (const [field, source] of Object.entries(migration.upgrade.copyToMessages ?? {})) {
    const renamedTo = rename[source];
    if (
      renamedTo === undefined ||
      Object.hasOwn(migration.upgrade.add ?? {}, source) ||
      Object.values(rename).includes(source)
    )
      continue;
    ctx.report(
      resource.file.diagnostic(
        'W_MIGRATION_COPY_SOURCE',
        `/upgrade/copyToMessages/${field}`,
        `copyToMessages.${field} reads '${source}', which rename moves to '${renamedTo}' first: messages would be filled only in records that already had '${source}' and '${renamedTo}'.`,
        { hint: `Use '${renamedTo}': copies read the record after rename and add.` },
      ),
    );
  }
}
