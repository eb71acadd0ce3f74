// The runtime's template grammar is the one grammar (docs/runtime.md, "Templates").
import { invalidPlaceholdersIn, placeholdersIn } from '@switchyard/runtime/bundle';
import type { CheckContext } from './check-context.ts';
import { didYouMean } from './did-you-mean.ts';
import { fileRefProblem, isFileRef } from './file-refs.ts';
import type { ModelPin, PromptVersion } from './types.ts';
import { versionLocator, type Locator } from './tests-file.ts';

export { placeholdersIn };

/** Model pins: the current snapshot is not one the pin itself retired. */
export function checkModels(ctx: CheckContext): void {
  for (const resource of ctx.valid('model')) {
    const model = resource.data as unknown as ModelPin;
    const index = model.retired.indexOf(model.snapshot);
    if (index >= 0)
      ctx.report(
        resource.file.diagnostic(
          'E_RETIRED_SNAPSHOT',
          `/retired/${index}`,
          `snapshot '${model.snapshot}' is pinned and retired at the same time.`,
        ),
      );
  }
}

/** Prompt versions: model references, one active version, placeholders and test variables. */
export function checkPrompts(ctx: CheckContext): void {
  const activeByPrompt = new Map<string, number[]>();
  for (const resource of ctx.valid('prompt')) {
    const version = resource.data as unknown as PromptVersion;
    // Diagnostics about cases loaded from `tests.cases: file://…` point into that file.
    const at = versionLocator(resource);
    if (!ctx.exists('model', version.model)) {
      const suggestion = didYouMean(version.model, ctx.project.models.keys());
      ctx.report(
        at.diagnostic(
          'E_DANGLING_REF',
          '/model',
          `model alias '${version.model}' does not exist (no models/${version.model}.yaml).`,
          suggestion ? { hint: `Did you mean '${suggestion}'?` } : {},
        ),
      );
    }
    if (version.status === 'active') {
      const list = activeByPrompt.get(resource.name) ?? [];
      list.push(resource.version ?? 0);
      activeByPrompt.set(resource.name, list);
    }
    const declared = new Set(version.variables);
    const used = new Set<string>();
    version.messages.forEach((message, i) => {
      for (const text of invalidPlaceholdersIn(message.content))
        ctx.report(
          at.diagnostic(
            'E_INVALID_PLACEHOLDER',
            `/messages/${i}/content`,
            `${text} is not a placeholder: a name is letters, digits and _ (no dots, hyphens or filters), so it would reach the model as written.`,
            { hint: 'Pass the value as a variable of its own, e.g. {{customer_name}}, and declare it in variables.' },
          ),
        );
      for (const name of placeholdersIn(message.content)) {
        used.add(name);
        if (!declared.has(name)) {
          const suggestion = didYouMean(name, declared);
          ctx.report(
            at.diagnostic(
              'E_UNDECLARED_VAR',
              `/messages/${i}/content`,
              `placeholder {{${name}}} is not declared in variables.`,
              { hint: suggestion ? `Did you mean {{${suggestion}}}?` : `Add '${name}' to variables.` },
            ),
          );
        }
      }
    });
    // A variable only an assertion uses ({{expected}} in a value, vars.x in javascript) is used too.
    const assertionText = JSON.stringify([
      version.tests.defaultTest?.assert ?? [],
      version.tests.cases.map((c) => c.assert ?? []),
    ]);
    version.variables.forEach((name, i) => {
      if (!used.has(name) && !new RegExp(`\\b${name}\\b`).test(assertionText))
        ctx.report(
          at.diagnostic(
            'W_UNUSED_VAR',
            `/variables/${i}`,
            `variable '${name}' is declared but no message uses {{${name}}}.`,
          ),
        );
    });
    const defaults = version.tests.defaultTest?.vars ?? {};
    const defaultAsserts = version.tests.defaultTest?.assert?.length ?? 0;
    version.tests.cases.forEach((testCase, i) => {
      if ((testCase.assert?.length ?? 0) + defaultAsserts === 0)
        ctx.report(at.diagnostic('E_CASE_WITHOUT_ASSERT', `/tests/cases/${i}`, `test case ${i + 1} has no assertion.`));
      for (const name of Object.keys(testCase.vars)) {
        if (!declared.has(name))
          ctx.report(
            at.diagnostic(
              'E_UNDECLARED_VAR',
              `/tests/cases/${i}/vars/${name}`,
              `test case ${i + 1} sets '${name}', which is not a declared variable.`,
              { key: true },
            ),
          );
      }
      const missing = version.variables.filter(
        (name) => used.has(name) && !(name in testCase.vars) && !(name in defaults),
      );
      if (missing.length > 0) {
        ctx.report(
          at.diagnostic(
            'E_MISSING_VAR',
            `/tests/cases/${i}/vars`,
            `test case ${i + 1} does not set ${missing.map((m) => `'${m}'`).join(', ')}.`,
          ),
        );
      }
    });
  }
  for (const resource of ctx.valid('prompt'))
    checkTestFiles(ctx, resource.data as unknown as PromptVersion, versionLocator(resource));
  for (const [prompt, versions] of activeByPrompt) {
    if (versions.length < 2) continue;
    for (const v of versions) {
      const resource = ctx.find('prompt', prompt, v);
      if (!resource) continue;
      ctx.report(
        resource.file.diagnostic(
          'E_MULTIPLE_ACTIVE',
          '/status',
          `prompt '${prompt}' has ${versions.length} active versions (${versions.map((x) => `v${x}`).join(', ')}).`,
        ),
      );
    }
  }
  for (const [prompt, versions] of ctx.project.prompts) {
    const all = [...versions.values()];
    if (all.length === 0 || all.some((v) => v.status === 'active')) continue;
    if (!all.every((v, i) => ctx.find('prompt', prompt, [...versions.keys()][i])?.valid)) continue;
    const first = ctx.find('prompt', prompt, [...versions.keys()][0]);
    if (first)
      ctx.report(first.file.diagnostic('W_NO_ACTIVE_VERSION', '/status', `prompt '${prompt}' has no active version.`));
  }
}

/** Where in a version's tests each `file://` reference and `cost` assertion is (JSON pointers). */
function walkTests(version: PromptVersion, visit: (pointer: string, value: unknown, key: string) => void): void {
  const walk = (value: unknown, pointer: string, key: string): void => {
    visit(pointer, value, key);
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${pointer}/${i}`, String(i)));
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value))
        walk(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, k);
  };
  walk(version.tests, '/tests', 'tests');
}

/**
 * `file://` references stay inside the repository, and `cost` assertions need a price for the
 * snapshot they run on (the pin's, and every running rollout's target on the same model).
 */
function checkTestFiles(ctx: CheckContext, version: PromptVersion, at: Locator): void {
  const pin = ctx.project.models.get(version.model);
  const snapshots = pin
    ? [
        pin.snapshot,
        ...[...ctx.project.rollouts.values()].flatMap((r) =>
          r.kind === 'ModelRollout' && r.model === pin.alias ? [r.to] : [],
        ),
      ]
    : [];
  walkTests(version, (pointer, value, key) => {
    if (isFileRef(value)) {
      const problem = fileRefProblem(value);
      if (problem) ctx.report(at.diagnostic('E_FILE_REF_OUTSIDE', pointer, problem));
    }
    if (key === 'type' && (value === 'cost' || value === 'not-cost') && pin) {
      const unpriced = [...new Set(snapshots)].filter((s) => !pin.prices?.[s]);
      if (unpriced.length > 0) {
        ctx.report(
          at.diagnostic(
            'E_COST_WITHOUT_PRICE',
            pointer,
            `a cost assertion runs on ${unpriced.join(', ')}, which models/${pin.alias}.yaml gives no price for.`,
            {
              hint: `Add prices: { ${unpriced[0]}: { input: <USD per 1M tokens>, output: <USD per 1M tokens> } } to models/${pin.alias}.yaml.`,
            },
          ),
        );
      }
    }
  });
}
