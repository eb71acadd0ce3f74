/**
 * Edge of the comment job: reads the downloaded artifact with size caps applied BEFORE reading (a
 * hostile artifact could hold a huge file or a symlink to one of the runner's files), resolves which
 * PR the run belongs to from trusted sources, and loads the report schema validator.
 */
import { open, lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { GitHubClient } from './client.ts';
import { ARTIFACT_FILES, ARTIFACT_LIMITS, type WorkflowRunFacts } from './report-intake.ts';

type ArtifactKey = keyof typeof ARTIFACT_FILES;

/** Reads the known files of the artifact; at most limit+1 bytes each, regular files only. */
export async function readArtifact(
  dir: string,
): Promise<{ files: Partial<Record<ArtifactKey, Uint8Array>>; refused: string[] }> {
  const files: Partial<Record<ArtifactKey, Uint8Array>> = {};
  const refused: string[] = [];
  for (const key of Object.keys(ARTIFACT_FILES) as ArtifactKey[]) {
    const path = join(dir, ARTIFACT_FILES[key]);
    const info = await lstat(path).catch(() => undefined);
    if (!info) continue;
    if (!info.isFile()) {
      refused.push(`${ARTIFACT_FILES[key]} is not a regular file`);
      continue;
    }
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(info.size, ARTIFACT_LIMITS[key] + 1));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      files[key] = buffer.subarray(0, bytesRead);
      // A file that claims to be small but is over the cap still gets reported as too large.
      if (info.size > ARTIFACT_LIMITS[key]) files[key] = Buffer.alloc(ARTIFACT_LIMITS[key] + 1);
    } finally {
      await handle.close();
    }
  }
  return { files, refused };
}

/**
 * The PRs a workflow run belongs to. GitHub lists them in the event for branches of this repository;
 * for fork PRs the list is empty, so the open PRs whose head is the run's fork branch AND head sha
 * are looked up.
 */
export async function resolveRunPullRequests(client: GitHubClient, facts: WorkflowRunFacts): Promise<number[]> {
  if (facts.pullRequests.length > 0) return facts.pullRequests;
  const headOwner = facts.headRepository.split('/')[0] ?? facts.owner;
  const pulls = await client.paginate(client.rest.pulls.list, {
    owner: facts.owner,
    repo: facts.repo,
    state: 'open',
    head: `${headOwner}:${facts.headBranch}`,
    per_page: 100,
  });
  return pulls.filter((p) => p.head.sha === facts.headSha).map((p) => p.number);
}

// ajv-formats is CommonJS; its default export arrives as the module object under some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => Ajv2020;

/** Compiles `schemas/report.schema.json` into a validator returning readable errors (empty = valid). */
export async function loadReportValidator(root: string): Promise<(report: unknown) => string[]> {
  const schema = JSON.parse(await readFile(join(root, 'schemas', 'report.schema.json'), 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return (report) =>
    validate(report) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}
