/**
 * Result files say what they were computed from: the head commit and a digest of the loaded
 * configuration (working tree included). `report` refuses results stamped for anything else, so a
 * report never mixes an old run's evidence into a new verdict (`E_REPORT_STALE_RESULT`).
 */
import type { Project } from '../config/types.ts';
import { contentKey } from './content.ts';

export interface ResultStamp {
  /** HEAD commit when the result was computed (null outside git). */
  commit: string | null;
  /** {@link configDigest} of the configuration the result was computed from. */
  configDigest: string | null;
}

const sorted = <V>(m: Map<string | number, V>): Array<[string, V]> =>
  [...m].map(([k, v]) => [String(k), v] as [string, V]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** sha256 of the configuration's content (every resource, canonical JSON; file layout and comments excluded). */
export function configDigest(project: Project | undefined): string | null {
  if (!project) return null;
  return contentKey({
    settings: project.settings,
    prompts: sorted(project.prompts).map(([name, versions]) => [name, sorted(versions)]),
    models: sorted(project.models),
    experiments: sorted(project.experiments),
    rollouts: sorted(project.rollouts),
    datasets: sorted(project.datasets),
  });
}

/** The document with its stamp (members added last so older readers ignore them). */
export function stampResult<T extends object>(doc: T, stamp: ResultStamp): T & ResultStamp {
  return { ...doc, commit: stamp.commit, configDigest: stamp.configDigest };
}

/** Why a result may not be combined with `expected` (null when its stamp matches). */
export function staleReason(doc: Partial<ResultStamp>, expected: ResultStamp, file: string): string | null {
  if (doc.commit === undefined || doc.configDigest === undefined)
    return `${file} carries no commit/config stamp (written by an older switchyard?)`;
  if (doc.commit !== expected.commit)
    return `${file} was computed for commit ${String(doc.commit).slice(0, 12)}, not ${String(expected.commit).slice(0, 12)}`;
  if (doc.configDigest !== expected.configDigest)
    return `${file} was computed from another configuration (digest ${String(doc.configDigest).slice(0, 12)}, now ${String(expected.configDigest).slice(0, 12)})`;
  return null;
}
