import { makeContext } from './check-context.ts';
import { checkDatasets } from './dataset-checks.ts';
import { checkExperiments } from './experiment-checks.ts';
import { checkKillOverrides } from './kill-override-checks.ts';
import { checkModels, checkPrompts } from './prompt-checks.ts';
import { checkProviders } from './provider-checks.ts';
import type { ParsedRepo } from './read-resources.ts';
import { checkRollouts } from './rollout-checks.ts';
import { checkSettings } from './settings-checks.ts';
import type { Project } from './types.ts';

/**
 * Checks that span files (docs/resources.md): references resolve, one active version per prompt, weights sum
 * to 100, stages ascend to 100, percents are stages, runtime names are unique, placeholders are
 * declared. Only resources that passed their schema are checked (their fields have known types);
 * every resource that parsed counts as existing, so a typo in one file does not cascade.
 */
export function crossCheck(project: Project, repo: ParsedRepo): void {
  const ctx = makeContext(project, repo);
  checkSettings(ctx);
  checkModels(ctx);
  checkProviders(ctx);
  checkPrompts(ctx);
  checkExperiments(ctx);
  checkRollouts(ctx);
  checkKillOverrides(ctx);
  checkDatasets(ctx);
}
