import type { ParsedRepo } from './read-resources.ts';
import type {
  Dataset,
  Experiment,
  ModelPin,
  Project,
  ProjectSettings,
  PromptVersion,
  RolloutResource,
} from './types.ts';

/** Key of `Project.files`: `prompt:<name>@<version>`, `model:<alias>`, `experiment:<id>`, `rollout:<name>`, `dataset:<name>`, `settings:switchyard`. */
export function fileKey(
  kind: 'prompt' | 'model' | 'experiment' | 'rollout' | 'dataset' | 'settings',
  name: string,
  version?: number,
): string {
  return version === undefined ? `${kind}:${name}` : `${kind}:${name}@${version}`;
}

/**
 * Assembles the `Project` from parsed resources, keyed by the names in their paths (so references
 * resolve the way the layout promises). Resources that failed their schema are included as parsed —
 * the loader's errors say they must not be used — so that one typo does not cascade into dangling
 * references everywhere. Returns undefined when there are no project settings to build on.
 */
export function buildProject(root: string, repo: ParsedRepo): Project | undefined {
  const settings = repo.resources.find((r) => r.kind === 'settings');
  if (!settings) return undefined;
  const project: Project = {
    root,
    settings: settings.data as unknown as ProjectSettings,
    prompts: new Map(),
    models: new Map(),
    experiments: new Map(),
    rollouts: new Map(),
    datasets: new Map(),
    files: new Map([[fileKey('settings', 'switchyard'), settings.path]]),
  };
  for (const resource of repo.resources) {
    switch (resource.kind) {
      case 'prompt': {
        const version = resource.version ?? 0;
        let versions = project.prompts.get(resource.name);
        if (!versions) project.prompts.set(resource.name, (versions = new Map()));
        versions.set(version, resource.data as unknown as PromptVersion);
        project.files.set(fileKey('prompt', resource.name, version), resource.path);
        break;
      }
      case 'model':
        project.models.set(resource.name, resource.data as unknown as ModelPin);
        project.files.set(fileKey('model', resource.name), resource.path);
        break;
      case 'experiment':
        project.experiments.set(resource.name, resource.data as unknown as Experiment);
        project.files.set(fileKey('experiment', resource.name), resource.path);
        break;
      case 'rollout':
        project.rollouts.set(resource.name, resource.data as unknown as RolloutResource);
        project.files.set(fileKey('rollout', resource.name), resource.path);
        break;
      default:
        break;
    }
  }
  // Versions in numeric order, whatever order the files were listed in (v10 sorts before v2 as text).
  for (const [name, versions] of project.prompts) {
    project.prompts.set(name, new Map([...versions].sort((a, b) => a[0] - b[0])));
  }
  for (const { name, file } of repo.datasets) {
    const dataset: Dataset = { name, rows: file.rows };
    project.datasets.set(name, dataset);
    project.files.set(fileKey('dataset', name), file.path);
  }
  return project;
}
