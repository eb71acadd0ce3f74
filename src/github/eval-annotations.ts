/**
 * Failing and errored eval cases → GitHub annotations on the YAML line of the case, so a reviewer
 * sees them in "Files changed" next to the test that failed. Pure; `emitAnnotations` writes them.
 */
import type { EvalRun } from '../eval/results.ts';
import { MAX_ANNOTATIONS, type Annotation } from './annotations.ts';

/** One annotation per failing or errored case of the change (baseline cases are not the change's). */
export function caseAnnotations(run: EvalRun, max = MAX_ANNOTATIONS): Annotation[] {
  const targets = new Map(run.targets.map((t) => [t.id, t]));
  const out: Annotation[] = [];
  const bad = run.cases.filter((c) => c.status !== 'pass' && targets.get(c.target)?.side !== 'base');
  for (const c of bad.slice(0, bad.length > max ? max - 1 : max)) {
    const t = targets.get(c.target);
    if (!t) continue;
    const why =
      c.status === 'error'
        ? [`errored: ${c.error ?? 'no verdict'}`]
        : c.assertions.filter((a) => !a.pass).map((a) => `${a.type}: ${a.reason}`);
    out.push({
      // A case of a gated version blocks the merge only through the pass rate; still, it is the change's failure.
      level: t.gate === 'none' ? 'warning' : 'error',
      message: [
        `${c.description} ${c.status === 'error' ? 'errored' : 'failed'} on ${t.snapshot}`,
        ...why.map((w) => `- ${w}`),
      ].join('\n'),
      properties: {
        title: `switchyard eval: ${t.prompt} v${t.version}`,
        // A case from a tests file (`tests.cases: file://…`) is annotated in that file.
        file: c.file ?? t.file,
        ...(c.line !== undefined ? { startLine: c.line } : {}),
      },
    });
  }
  if (bad.length > out.length)
    out.push({
      level: 'notice',
      message: `${bad.length - out.length} more failing case(s) are listed in the report.`,
      properties: { title: 'switchyard eval' },
    });
  return out;
}
