import type { Diagnostic } from './diagnostics.ts';
import type { RepoReader } from './repo-reader.ts';

/** A file's bytes as a source delivered them, or the problem that stopped it being read. */
export type SourceFile =
  { path: string; bytes: Buffer; problem?: undefined } | { path: string; bytes?: undefined; problem: Diagnostic };

export interface ReadOptions {
  onListed?: (count: number) => void;
}

/**
 * Where the loader's files come from: the working tree, or the tree of a git commit. Both deliver
 * the same thing — the config files (per `layout.ts`), sorted by path, with size caps and symlink
 * rules already applied — so everything after reading is one code path.
 */
export interface FileSource {
  /** Directory the project was loaded from (recorded as `Project.root`). */
  readonly root: string;
  /** For messages: `working tree` or `git <ref> (<sha>)`. */
  readonly label: string;
  /**
   * Lists and reads every config file. Throws only when the source itself is unusable. `onListed`
   * hears the number of files to read once they are listed and before they are read (the loader
   * starts its parse workers then, so they boot while the files are read).
   */
  readAll(options?: ReadOptions): Promise<SourceFile[]>;
  /** The commit read (after `readAll`), for a source that reads a commit's tree. */
  readonly commit?: string | undefined;
  /** Reads any repository file from the same place (`file://` references; after `readAll`). */
  reader(): RepoReader;
}
