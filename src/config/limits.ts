/** Bounds that keep the loader's time and memory finite on hostile input. */
export const LIMITS = {
  /** A YAML resource larger than this is refused unread (real resources are a few KB). */
  maxYamlBytes: 256 * 1024,
  /** A dataset larger than this is refused unread. */
  maxDatasetBytes: 16 * 1024 * 1024,
  /** Alias expansions per document (yaml's `maxAliasCount`): stops "billion laughs". */
  maxAliasCount: 100,
  /** Nesting depth of a parsed document; resources are at most ~6 levels deep. */
  maxDepth: 64,
  /** Config files per repository. */
  maxFiles: 100_000,
} as const;
