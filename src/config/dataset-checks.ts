import type { CheckContext } from './check-context.ts';
import { rowDiagnostic } from './dataset-file.ts';
import { placeholdersIn } from './prompt-checks.ts';

/** Datasets: unique row ids; rows that name a prompt set every variable its active version uses. */
export function checkDatasets(ctx: CheckContext): void {
  for (const { file } of ctx.repo.datasets) {
    const seen = new Map<string, number>();
    file.rows.forEach((row, i) => {
      if (!file.valid[i]) return;
      const first = seen.get(row.id);
      if (first !== undefined) {
        ctx.report(
          rowDiagnostic(
            file,
            i,
            'E_DUPLICATE_ROW_ID',
            `row ${i + 1} repeats id '${row.id}' (first on line ${file.lines[first]}).`,
            'id',
          ),
        );
      } else {
        seen.set(row.id, i);
      }
      if (row.prompt === undefined) return;
      const versions = ctx.project.prompts.get(row.prompt);
      if (!ctx.exists('prompt', row.prompt)) {
        ctx.report(
          rowDiagnostic(
            file,
            i,
            'E_DANGLING_REF',
            `row ${i + 1} names prompt '${row.prompt}', which does not exist.`,
            'prompt',
          ),
        );
        return;
      }
      if (!versions) return;
      const active = [...versions.values()].find((v) => v.status === 'active');
      if (!active || !Array.isArray(active.variables)) return;
      const vars = row.vars ?? {};
      const used = new Set(active.messages.flatMap((m) => placeholdersIn(m.content)));
      const missing = active.variables.filter((name) => used.has(name) && !(name in vars));
      if (missing.length > 0) {
        ctx.report(
          rowDiagnostic(
            file,
            i,
            'E_MISSING_VAR',
            `row ${i + 1} does not set ${missing.map((m) => `'${m}'`).join(', ')} for ${row.prompt} v${active.version}.`,
            'vars',
          ),
        );
      }
    });
  }
}
