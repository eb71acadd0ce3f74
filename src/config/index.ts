/**
 * Public entry of `src/config`: load, parse and validate a Switchyard repository.
 *
 * - `loadProject(root, { base })` — the working tree, with history rules against `base` when given.
 * - `loadProjectAtRef(root, ref)` — the same loader over a git commit's tree (working tree untouched).
 *
 * Both return `Checked<Project>`: treat `errors.length > 0` as "do not proceed".
 */
export { loadProject, loadProjectAtRef, loadFromSource, type LoadOptions, type LoadedRepo } from './load-project.ts';
export { PoolStarter } from './parse-pool.ts';
export { fileKey } from './build-project.ts';
export { CODES, type Code, type CodeInfo } from './codes.ts';
export { LIMITS } from './limits.ts';
export { DirectorySource } from './dir-source.ts';
export { GitRefSource } from './git-source.ts';
export type { FileSource, SourceFile } from './file-source.ts';
export { classifyPath, CONFIG_ROOTS, type FileKind } from './layout.ts';
export { SCHEMAS, ROLLOUT_KINDS, type SchemaName } from './schema/resources.ts';
export { PROMPTFOO_ASSERTION_TYPES, ALL_ASSERTION_TYPES } from './schema/assertion-types.ts';
export { compareDiagnostics, makeDiagnostic } from './make-diagnostic.ts';
export type { Checked, Diagnostic, Severity } from './diagnostics.ts';
export type * from './types.ts';
export { schemaFiles } from './schema/schema-files.ts';
// Format-preserving YAML edits (one value token rewritten, the rest of the file byte-identical).
export { setScalar } from './edit/set-scalar.ts';
export { setKilled, KILLABLE_KINDS, type KillEdit, type KillOptions } from './edit/set-killed.ts';
