/**
 * The immutability rule (history.ts) extended to the files a prompt version's tests reference: a
 * version that is not a draft on the base may not change its tests through a `file://` value either
 * (vars, expected values, schemas), or a change could rewrite what an active version is held to
 * without touching its YAML. Each side reads its own files: the base from its commit, the head from
 * the working tree (docs/evaluation.md, "file references").
 */
import type { ParsedRepo } from './read-resources.ts';
import { FILE_PREFIX, testFileRefs } from './file-refs.ts';
import { readerFor, type RepoRead } from './repo-reader.ts';
import type { Project, PromptVersion } from './types.ts';

/** What a read says for comparison: the text, or the failure's code (both sides failing alike is no change). */
function fingerprint(read: RepoRead): string {
  return read.ok ? `text:${read.text}` : `error:${read.code}`;
}

/**
 * Appends `E_IMMUTABLE_VERSION` to `headRepo` for every head prompt version that is not a draft on
 * the base, whose YAML is unchanged (history.ts judges YAML changes) and whose referenced files
 * differ between the base commit and the head.
 */
export async function referencedFilesCheck(base: Project, head: Project, headRepo: ParsedRepo): Promise<void> {
  const baseReader = readerFor(base);
  const headReader = readerFor(head);
  const immutableAlready = new Set(headRepo.errors.filter((d) => d.code === 'E_IMMUTABLE_VERSION').map((d) => d.file));
  for (const resource of headRepo.resources) {
    if (!resource.valid || resource.kind !== 'prompt') continue;
    if (immutableAlready.has(resource.file.path)) continue;
    const before = base.prompts.get(resource.name)?.get(resource.version ?? 0);
    if (!before || before.status === 'draft') continue;
    const after = resource.data as unknown as PromptVersion;
    const refs = new Map<string, string>();
    for (const { ref, pointer } of testFileRefs(after)) refs.set(ref, pointer);
    for (const { ref } of testFileRefs(before)) if (!refs.has(ref)) refs.set(ref, '/tests');
    const changed: Array<{ ref: string; pointer: string }> = [];
    for (const [ref, pointer] of refs) {
      const path = ref.slice(FILE_PREFIX.length);
      const [was, is] = await Promise.all([baseReader.read(path), headReader.read(path)]);
      if (fingerprint(was) !== fingerprint(is)) changed.push({ ref, pointer });
    }
    if (changed.length === 0) continue;
    const next = Math.max(...(base.prompts.get(resource.name)?.keys() ?? [0])) + 1;
    headRepo.errors.push(
      resource.file.diagnostic(
        'E_IMMUTABLE_VERSION',
        changed[0]!.pointer,
        `${resource.name} v${resource.version} is ${before.status} on the base branch, and the file${changed.length > 1 ? 's' : ''} its tests reference changed: ${changed.map((c) => c.ref.slice(FILE_PREFIX.length)).join(', ')}.`,
        {
          hint: `Leave the referenced file as it is and put the new content in a new file, used by prompts/${resource.name}/v${next}.yaml (a draft until it passes).`,
        },
      ),
    );
  }
}
