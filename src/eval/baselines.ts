/**
 * What a changed prompt is compared with in the PR report: for every head target, the version the
 * base serves for that prompt (its active version, on the base pin's snapshot), run on its own tests
 * so the report can show base → head pass rate, tokens, latency and cost, plus a text diff of the
 * prompt. Pure; the eval runs these targets with gate `none` (they inform, never block).
 */
import type { PromptVersion, Project } from '../config/types.ts';
import { sameContent } from './content.ts';
import { lineDiff } from './line-diff.ts';
import { withFileContents } from './file-refs.ts';
import { targetId, type EvalTarget, type SideFiles } from './targets.ts';

/** Prefix of a baseline target id: `base:<prompt>@v<n>:<snapshot>`. */
export const BASE_PREFIX = 'base:';

function activeVersion(project: Project, prompt: string): PromptVersion | undefined {
  for (const v of project.prompts.get(prompt)?.values() ?? []) if (v.status === 'active') return v;
  return undefined;
}

/** The prompt as a reviewer reads it: one block per message, one sentence per line (so a diff shows the sentence that changed). */
export function promptText(v: PromptVersion): string {
  const params = v.params ? `params: ${JSON.stringify(v.params)}\n` : '';
  return `${params}${v.messages.map((m) => `[${m.role}]\n${m.content.replace(/([.!?]) +/g, '$1\n')}`).join('\n')}\n`;
}

/**
 * Adds `baseline` to each head target that has something to compare with and returns the baseline
 * targets to run. Nothing for a target identical to what the base serves (same content, snapshot,
 * and — with `files` — the same contents of the files its tests refer to).
 */
export function attachBaselines(
  head: Project,
  base: Project | undefined,
  targets: EvalTarget[],
  files?: SideFiles,
): EvalTarget[] {
  if (!base) return [];
  const out = new Map<string, EvalTarget>();
  for (const t of targets) {
    const before = activeVersion(base, t.prompt);
    const after = head.prompts.get(t.prompt)?.get(t.version);
    const snapshot = before ? base.models.get(before.model)?.snapshot : undefined;
    if (!before || !after || snapshot === undefined || before.tests.cases.length === 0) continue;
    if (
      snapshot === t.snapshot &&
      sameContent(withFileContents(before, files?.base), withFileContents(after, files?.head))
    )
      continue;
    const id = `${BASE_PREFIX}${targetId(before.prompt, before.version, snapshot)}`;
    t.baseline = { id, diff: lineDiff(promptText(before), promptText(after)) };
    if (out.has(id)) continue;
    out.set(id, {
      id,
      prompt: before.prompt,
      version: before.version,
      status: before.status,
      model: before.model,
      snapshot,
      file:
        base.files.get(`prompt:${before.prompt}@${before.version}`) ??
        `prompts/${before.prompt}/v${before.version}.yaml`,
      reasons: [`what the base serves for ${before.prompt}, for comparison`],
      gate: 'none',
      minPassRate: before.tests.minPassRate,
      caseCount: before.tests.cases.length,
      side: 'base',
    });
  }
  return [...out.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
