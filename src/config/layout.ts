/**
 * The repository layout (docs/resources.md): which repo-relative path holds which kind of resource. Pure
 * string work, shared by the working-tree and git sources so both see the same files.
 */

export type FileKind = 'settings' | 'prompt' | 'model' | 'experiment' | 'rollout' | 'dataset';

export interface ClassifiedPath {
  kind: FileKind;
  /** File stem (`chat` for models/chat.yaml; the prompt name for prompts/<name>/v<N>.yaml). */
  name: string;
  /** Prompt version from `v<N>.yaml`. */
  version?: number;
}

/** Top-level entries the loader reads; everything else in the repository is ignored. */
export const CONFIG_ROOTS = ['switchyard.yaml', 'prompts', 'models', 'experiments', 'rollouts', 'datasets'] as const;

const FLAT_DIRS: Record<string, { kind: FileKind; ext: string }> = {
  models: { kind: 'model', ext: '.yaml' },
  experiments: { kind: 'experiment', ext: '.yaml' },
  rollouts: { kind: 'rollout', ext: '.yaml' },
  datasets: { kind: 'dataset', ext: '.jsonl' },
};

/** True when a path lies in the part of the tree the loader reads. */
export function isConfigPath(path: string): boolean {
  const top = path.split('/', 1)[0] ?? '';
  return (CONFIG_ROOTS as readonly string[]).includes(top);
}

/** Extensions of files that look like config; other files (README.md, .gitkeep) are left alone. */
const CONFIG_LIKE = /\.(ya?ml|jsonl?)$/i;

/**
 * Classifies a repo-relative path. Returns the resource it holds, `misplaced` for a config-like file
 * in the wrong place (an error: it would otherwise be silently ignored), or `ignored`.
 */
export function classifyPath(path: string): ClassifiedPath | 'misplaced' | 'ignored' {
  if (path === 'switchyard.yaml') return { kind: 'settings', name: 'switchyard' };
  const parts = path.split('/');
  const top = parts[0] ?? '';
  const file = parts[parts.length - 1] ?? '';
  if (top === 'prompts') {
    const match = /^v(\d+)\.yaml$/.exec(file);
    if (parts.length === 3 && match?.[1] !== undefined) {
      return { kind: 'prompt', name: parts[1] ?? '', version: Number.parseInt(match[1], 10) };
    }
    return CONFIG_LIKE.test(file) ? 'misplaced' : 'ignored';
  }
  const flat = FLAT_DIRS[top];
  if (flat) {
    if (parts.length === 2 && file.endsWith(flat.ext)) {
      return { kind: flat.kind, name: file.slice(0, -flat.ext.length) };
    }
    return CONFIG_LIKE.test(file) ? 'misplaced' : 'ignored';
  }
  return 'ignored';
}

/** Size cap for the file at `path`: datasets may be larger than YAML resources. */
export function capFor(path: string, limits: { maxYamlBytes: number; maxDatasetBytes: number }): number {
  const classified = classifyPath(path);
  return typeof classified === 'object' && classified.kind === 'dataset' ? limits.maxDatasetBytes : limits.maxYamlBytes;
}
