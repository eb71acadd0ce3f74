/**
 * What changed between two bundles, per section, by comparing each entry's canonical form.
 * Runs once per swap, never on the hot path.
 */
import type { BundlePayload } from '../bundle/payload.ts';

export const CHANGE_SECTIONS = [
  'models',
  'prompts',
  'flags',
  'modelRollouts',
  'experiments',
  'canaries',
  'embeddingMigrations',
  'schemaMigrations',
] as const;

export type ChangeSection = (typeof CHANGE_SECTIONS)[number];

export interface BundleChange {
  previousSerial: number;
  serial: number;
  commit: string;
  /** Per section, the keys added, removed or modified (sorted). */
  changed: Record<ChangeSection, string[]>;
  /**
   * Every key whose answer may differ (union of all sections, sorted), as OpenFeature's
   * `flagsChanged`: flags and rollouts by flag name, models by alias, prompts by name, experiments by id.
   */
  flagsChanged: string[];
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(stable).join(',') + ']';
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return (
      '{' +
      Object.keys(o)
        .sort()
        .map((k) => JSON.stringify(k) + ':' + stable(o[k]))
        .join(',') +
      '}'
    );
  }
  return JSON.stringify(v) ?? 'null';
}

/** Pure: the change set from `before` (null at first load) to `after`. */
export function diffPayloads(
  before: BundlePayload | null,
  after: BundlePayload,
  previousSerial: number,
  serial: number,
): BundleChange {
  const changed = {} as Record<ChangeSection, string[]>;
  const all = new Set<string>();
  for (const section of CHANGE_SECTIONS) {
    const a = (before?.[section] ?? {}) as Record<string, unknown>;
    const b = (after[section] ?? {}) as Record<string, unknown>;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    const list: string[] = [];
    for (const k of keys) {
      if (!(k in a) || !(k in b) || stable(a[k]) !== stable(b[k])) list.push(k);
    }
    list.sort();
    changed[section] = list;
    for (const k of list) all.add(k);
  }
  return { previousSerial, serial, commit: after.commit, changed, flagsChanged: [...all].sort() };
}
