/**
 * Every `file://` value in prompt tests names a file that can be read from the side being loaded, so
 * `switchyard validate` reports a missing or escaping file at the reference's `line:col` with the
 * other problems, instead of the eval failing on it later (docs/evaluation.md, "file references").
 */
import { FILE_PREFIX, fileRefProblem, testFileRefs } from './file-refs.ts';
import type { ParsedRepo } from './read-resources.ts';
import type { RepoRead, RepoReader } from './repo-reader.ts';
import type { PromptVersion } from './types.ts';

/** Appends an error for each unreadable reference of every schema-valid prompt version in `repo`. */
export async function checkFileRefsReadable(repo: ParsedRepo, reader: RepoReader): Promise<void> {
  const reads = new Map<string, Promise<RepoRead>>();
  for (const resource of repo.resources) {
    if (!resource.valid || resource.kind !== 'prompt') continue;
    for (const { ref, pointer } of testFileRefs(resource.data as unknown as PromptVersion)) {
      // Refused syntactically already (prompt-checks.ts): one error per reference is enough.
      if (fileRefProblem(ref) !== undefined) continue;
      const path = ref.slice(FILE_PREFIX.length);
      let read = reads.get(path);
      if (!read) {
        read = reader.read(path);
        reads.set(path, read);
      }
      const result = await read;
      if (!result.ok)
        repo.errors.push(
          resource.file.diagnostic(code(result.code), pointer, result.message, {
            hint:
              result.hint ?? `Add ${path} to the repository, or correct the path (relative to the repository root).`,
          }),
        );
    }
  }
}

/** The readers' codes, as the config catalogue types them (any other failure reads as unreadable). */
function code(raw: string): 'E_FILE_REF_OUTSIDE' | 'E_FILE_REF_UNREADABLE' {
  return raw === 'E_FILE_REF_OUTSIDE' ? raw : 'E_FILE_REF_UNREADABLE';
}
