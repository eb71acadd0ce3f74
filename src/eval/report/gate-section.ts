/**
 * Markdown of the gate: the policy the change was judged under (from the base), policy changes
 * first, then who gets a different answer per environment. Rendered right under the verdict.
 */
import type { Report } from './model.ts';

const pct = (ppm: number): string => `${Math.round(ppm / 100) / 100}%`;

/** Escaping is the caller's (`cell`): every free text goes through it. */
export function gateSection(r: Report, cell: (text: string, max?: number) => string, maxRows: number): string[] {
  const out: string[] = [];
  if (r.uncommitted && r.uncommitted.length > 0) {
    out.push(
      `> ⚠️ **Uncommitted changes judged.** This report read the working tree, which differs from ${r.commit ? `commit \`${r.commit.slice(0, 12)}\`` : 'the commit'} in: ${r.uncommitted
        .slice(0, 20)
        .map((f) => `\`${cell(f)}\``)
        .join(
          ', ',
        )}${r.uncommitted.length > 20 ? ', …' : ''}. Bundles are compiled from commits, not from the working tree.`,
      '',
    );
  }
  const g = r.gate;
  if (!g) return out;
  out.push('## Gate', '');
  const p = g.policy;
  out.push(
    `Judged under the **${p.source}** policy: pass rate ≥ ${p.minPassRate} (floor), shadow avg > ${p.shadowGate.minAvgSimilarity} and min > ${p.shadowGate.minMinSimilarity} (floor), first exposure ≤ ${p.firstStagePercent}%, one stage per change.`,
    '',
  );
  for (const c of g.policyChanges)
    out.push(
      `- ${c.direction === 'loosened' ? '⚠️ **policy loosened**' : 'policy tightened'}: ${cell(c.text, 200)} (\`${cell(c.file)}\`)`,
    );
  if (g.policyChanges.length > 0) out.push('');
  if (g.exposure.length === 0) {
    out.push('Nobody gets a different answer in any environment.', '');
    return out;
  }
  out.push(
    '| | env | subject | units with a different answer | newly exposed (allowed) | rule |',
    '|---|---|---|---|---|---|',
  );
  for (const row of g.exposure.slice(0, maxRows)) {
    const worst = [...row.answers].sort((a, b) => b.newly - b.allowed - (a.newly - a.allowed))[0];
    const newly = worst
      ? `${cell(worst.value, 60)}: ${pct(worst.baseShare)} → ${pct(worst.headShare)}, +${pct(worst.newly)} (≤ ${pct(worst.allowed)})`
      : 'back to the baseline';
    out.push(
      `| ${row.ok ? '✅' : '❌'} | ${cell(row.env)} | ${cell(row.subject)} | ${pct(row.changed)} | ${newly} | ${cell(worst?.rule ?? 'rollback: always allowed', 160)} |`,
    );
  }
  if (g.exposure.length > maxRows) out.push(`| | … ${g.exposure.length - maxRows} more in report.json | | | | |`);
  out.push('');
  return out;
}
