/**
 * Markdown rendering of the report: verdict first, then what changes for users, tests per prompt
 * version against their gate, shadow results, validation findings and bundle digests. Kept under
 * GitHub's comment limit by rendering with less detail until it fits, then cutting at a line break
 * with a note — a cut report never looks complete.
 */
import { gateSection } from './gate-section.ts';
import { hasChanges } from '../line-diff.ts';
import { OFFLINE_LABEL } from '../offline-label.ts';
import { histogramMarkdown } from './similarity-histogram.ts';
import type { Report, ReportShadow, ReportTarget } from './model.ts';

/** GitHub rejects comments above 65,536 characters; leave room for the sticky-comment marker. */
export const DEFAULT_MAX_CHARS = 60_000;

interface Detail {
  /** Failures listed per target. */
  failures: number;
  /** Characters kept of each model output. */
  outputChars: number;
  /** Divergent pairs per shadow comparison. */
  pairs: number;
  /** Findings listed. */
  findings: number;
  /** Targets listed in the table. */
  targets: number;
}

const LEVELS: Detail[] = [
  { failures: 10, outputChars: 400, pairs: 3, findings: 50, targets: 200 },
  { failures: 3, outputChars: 160, pairs: 2, findings: 20, targets: 100 },
  { failures: 1, outputChars: 80, pairs: 1, findings: 10, targets: 40 },
  { failures: 0, outputChars: 0, pairs: 0, findings: 5, targets: 15 },
];

const pct = (x: number) => `${(Math.round(x * 1000) / 10).toString()}%`;
const num = (x: number) => x.toFixed(3);

/** Escapes text for a table cell or inline use: no pipes, no newlines, no HTML, no mentions. */
export function cell(text: string, max = Infinity): string {
  let t = text.replace(/\s+/g, ' ').trim();
  if (t.length > max) t = `${t.slice(0, Math.max(0, max - 1))}…`;
  return t
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@/g, '@\u200b')
    .replace(/`/g, "'");
}

function gateText(t: ReportTarget): string {
  if (t.gate === 'none') return `info (${t.status})`;
  return `${t.gate} ≥ ${pct(t.minPassRate)}`;
}

const ms = (x: number | null) => (x === null ? '–' : `${Math.round(x)} ms`);
const usd = (x: number | null) => (x === null ? 'no price' : `$${x < 0.01 ? x.toPrecision(2) : x.toFixed(2)}`);
const tok = (x: number | null) => (x === null ? '–' : `${Math.round(x)}`);

/** `base → head (Δ)`; the delta is signed and only shown when both sides have a value. */
function delta(
  base: number | null,
  head: number | null,
  show: (x: number | null) => string,
  unit = (x: number) => show(x),
): string {
  if (base === null || head === null) return `${show(base)} → ${show(head)}`;
  const diff = head - base;
  const sign = diff > 0 ? '+' : diff < 0 ? '−' : '±';
  return `${show(base)} → ${show(head)} (${sign}${unit(Math.abs(diff))})`;
}

function pctPoints(x: number): string {
  return `${Math.round(x * 1000) / 10} pt`;
}

/** Base vs head per changed prompt: pass rate, tokens, latency and cost, and the prompt's diff. */
function changedPromptsSection(r: Report, d: Detail): string[] {
  const changed = r.tests.targets.filter((t) => t.baseline !== null);
  if (changed.length === 0) return [];
  const out = ['## Changed prompts: base → head', ''];
  out.push(
    '| prompt | pass rate | tokens / case | latency p50 | latency p95 | cost / 1k requests |',
    '|---|---|---|---|---|---|',
  );
  for (const t of changed.slice(0, d.targets)) {
    const b = t.baseline as NonNullable<ReportTarget['baseline']>;
    const who = `${cell(t.prompt)} ${b.version === t.version ? `v${t.version}` : `v${b.version} → v${t.version}`}${b.snapshot !== t.snapshot ? ` (${cell(b.snapshot)} → ${cell(t.snapshot)})` : ` on ${cell(t.snapshot)}`}`;
    out.push(
      `| ${who} | ${delta(b.passRate, t.passRate, (x) => (x === null ? '–' : pct(x)), pctPoints)} | ${delta(b.metrics.tokens, t.metrics.tokens, tok)} | ${delta(b.metrics.latencyP50, t.metrics.latencyP50, ms)} | ${delta(b.metrics.latencyP95, t.metrics.latencyP95, ms)} | ${delta(b.metrics.costPer1k, t.metrics.costPer1k, usd)} |`,
    );
  }
  out.push('');
  const seen = new Set<string>();
  for (const t of changed.slice(0, d.targets)) {
    const key = `${t.prompt}\n${t.diff ?? ''}`;
    if (!t.diff || !hasChanges(t.diff) || seen.has(key) || d.outputChars === 0) continue;
    seen.add(key);
    const b = t.baseline as NonNullable<ReportTarget['baseline']>;
    // A fence longer than any backtick run in the prompt keeps the diff from closing early.
    const fence = '`'.repeat(Math.max(3, ...[...t.diff.matchAll(/`+/g)].map((m) => m[0].length + 1)));
    out.push(
      `<details><summary>Prompt diff: ${cell(t.prompt)} v${b.version} → v${t.version}</summary>`,
      '',
      `${fence}diff`,
      t.diff.replace(/<\/details>/gi, '</ details>'),
      fence,
      '',
      '</details>',
      '',
    );
  }
  return out;
}

function failureLines(f: ReportTarget['failures'][number], t: ReportTarget): string[] {
  const where = f.line !== null ? ` (${cell(f.file ?? t.file)}:${f.line})` : '';
  if (f.error) return [`- **${cell(f.description, 120)}**${where} — errored: ${cell(f.error, 200)}`];
  const out = [`- **${cell(f.description, 120)}**${where} — ${f.failed.length} failed assertion(s):`];
  for (const a of f.failed) out.push(`  - ${cell(a, 240)}`);
  return out;
}

function targetsSection(r: Report, d: Detail): string[] {
  const out = ['## Tests per prompt version', ''];
  if (!r.tests.ran) return [...out, '_Eval did not run._', ''];
  if (r.tests.targets.length === 0) return [...out, 'Nothing to evaluate: this change affects no prompt version.', ''];
  const s = r.tests.stats;
  out.push(
    `${s.cases} cases: ${s.passed} passed, ${s.failed} failed, ${s.errored} errored${s.cached > 0 ? ` (${s.cached} from cache)` : ''}${r.tests.shards > 1 ? ` across ${r.tests.shards} shards` : ''}.`,
    '',
  );
  out.push(
    '| | prompt version | snapshot | pass rate | failed / errored | gate | why evaluated |',
    '|---|---|---|---|---|---|---|',
  );
  for (const t of r.tests.targets.slice(0, d.targets)) {
    const mark = t.ok ? (t.passRate >= t.minPassRate ? '✅' : 'ℹ️') : '❌';
    const rate = `${t.passed}/${t.evaluated}${t.evaluated !== t.expected ? ` of ${t.expected}` : ''} (${pct(t.passRate)})`;
    out.push(
      `| ${mark} | ${cell(t.prompt)} v${t.version} | ${cell(t.snapshot)} | ${rate} | ${t.failed} / ${t.errored} | ${gateText(t)} | ${cell(t.reasons.join('; '), 160)} |`,
    );
  }
  if (r.tests.targets.length > d.targets)
    out.push(`| | … and ${r.tests.targets.length - d.targets} more (see report.json) | | | | | |`);
  out.push('');
  if (d.failures > 0) {
    const failing = r.tests.targets.filter((t) => t.failures.length > 0);
    for (const t of failing.slice(0, d.targets)) {
      out.push(
        `<details><summary>${cell(t.prompt)} v${t.version} on ${cell(t.snapshot)}: ${t.failures.length} failing or errored case(s)</summary>`,
        '',
      );
      for (const f of t.failures.slice(0, d.failures)) {
        out.push(...failureLines(f, t));
        if (d.outputChars > 0 && f.output) out.push(`  - output: ${cell(f.output, d.outputChars)}`);
      }
      if (t.failures.length > d.failures) out.push(`- … ${t.failures.length - d.failures} more`);
      out.push('', '</details>', '');
    }
  }
  return out;
}

function shadowSection(r: Report, d: Detail): string[] {
  const out = ['## Shadow comparisons', ''];
  if (!r.shadow.ran) return [...out, '_Shadow eval did not run._', ''];
  if (r.shadow.comparisons.length === 0) return [...out, 'No model or active-prompt change to shadow.', ''];
  out.push(`Embedding cosine (${cell(r.shadow.embeddingModel ?? '?')}) gates; token F1 is shown beside it.`, '');
  out.push(
    '| | comparison | pairs | cosine avg / min / p10 | token F1 avg / min | gate |',
    '|---|---|---|---|---|---|',
  );
  for (const c of r.shadow.comparisons) {
    if (noDataset(c)) {
      // Nothing to compare is not a failed comparison: say so instead of showing ⚠️ 0.000.
      out.push(`| ➖ | ${cell(c.title)} | no dataset | – | – | advisory |`);
      continue;
    }
    const mark = c.passed ? '✅' : c.blocking ? '❌' : '⚠️';
    out.push(
      `| ${mark} | ${cell(c.title)} (dataset ${cell(c.dataset)}) | ${c.count} | ${num(c.cosine.avg)} / ${num(c.cosine.min)} / ${num(c.cosine.p10)} | ${num(c.lexical.avg)} / ${num(c.lexical.min)} | avg > ${c.gate.minAvgSimilarity}, min > ${c.gate.minMinSimilarity}${c.blocking ? '' : ' (advisory)'} |`,
    );
  }
  out.push('');
  const histograms = r.shadow.comparisons.filter((c) => !noDataset(c) && c.histogram);
  if (histograms.length > 0) {
    // The gate sees only avg and min: the spread shows one outlier apart from a shifted distribution.
    out.push('Cosine of every pair over [0, 1], one character per bin (`·` = empty bin):', '');
    // A blank line after each: an HTML block (<details>) runs on until one, swallowing the next item.
    for (const c of histograms)
      if (c.histogram) out.push(...histogramMarkdown(cell(c.title), c.histogram, c.failed, d.pairs > 0), '');
  }
  for (const c of r.shadow.comparisons) out.push(...pairsOf(c, d));
  return out;
}

/** Nothing to compare (no dataset rows, none failed) is not a failed comparison: no ⚠️ 0.000, no histogram. */
const noDataset = (c: ReportShadow) => c.count === 0 && !c.blocking && !(c.failed !== undefined && c.failed > 0);

function pairsOf(c: ReportShadow, d: Detail): string[] {
  const out: string[] = [];
  for (const p of c.problems.slice(0, 5)) out.push(`- ⚠️ ${cell(c.title)}: ${cell(p, 200)}`);
  if (d.pairs === 0 || c.divergent.length === 0) return out.length > 0 ? [...out, ''] : out;
  out.push(`<details><summary>Most divergent pairs: ${cell(c.title)}</summary>`, '');
  for (const p of c.divergent.slice(0, d.pairs)) {
    out.push(`- **${cell(p.rowId)}** (cosine ${num(p.cosine)}, F1 ${num(p.lexical)}): ${cell(p.input, 160)}`);
    out.push(`  - ${cell(c.base)}: ${cell(p.base, d.outputChars || 80)}`);
    out.push(`  - ${cell(c.head)}: ${cell(p.head, d.outputChars || 80)}`);
  }
  out.push('', '</details>', '');
  return out;
}

function findingsSection(r: Report, d: Detail): string[] {
  const all = [...r.findings.errors, ...r.findings.warnings];
  const out = ['## Validation findings', ''];
  if (all.length === 0) return [...out, 'None.', ''];
  for (const f of all.slice(0, d.findings)) {
    out.push(
      `- ${f.severity === 'error' ? '❌' : '⚠️'} \`${f.code}\` ${cell(f.file)}:${f.line}:${f.col} — ${cell(f.message, 240)}${f.hint ? ` _(${cell(f.hint, 160)})_` : ''}`,
    );
  }
  if (all.length > d.findings) out.push(`- … ${all.length - d.findings} more in report.json`);
  out.push('');
  return out;
}

function render(r: Report, d: Detail): string {
  const lines: string[] = [];
  const verdict =
    r.status === 'config-invalid'
      ? '❌ Switchyard: blocked: the configuration does not validate'
      : r.verdict === 'pass'
        ? '✅ Switchyard: safe to merge'
        : '❌ Switchyard: blocked';
  lines.push(`## ${verdict}`, '');
  if (r.blockers.length > 0) for (const b of r.blockers.slice(0, 20)) lines.push(`- ${cell(b, 300)}`);
  if (r.blockers.length > 20) lines.push(`- … ${r.blockers.length - 20} more`);
  if (r.blockers.length > 0) lines.push('');
  const sources = Object.entries(r.sources ?? {});
  const partly = r.offline && sources.some(([, label]) => !label.startsWith(OFFLINE_LABEL));
  lines.push(
    partly
      ? '> **Partly offline results.** Some answers come from the Switchyard offline model server, a deterministic test double — not from a real model; see where each part came from below.'
      : r.offline
        ? '> **Offline results.** Model answers come from the Switchyard offline model server, a deterministic test double — not from a real model.'
        : r.endpoint === 'none'
          ? '> No model was called.'
          : `> Model answers from ${cell(r.endpoint)}.`,
    '',
  );
  // Each model is live or offline on its own: say where every part's answers came from.
  const distinct = new Set(sources.map(([, label]) => label));
  if (partly || (!r.offline && distinct.size > 1)) {
    lines.push('<details><summary>Where answers came from</summary>', '');
    for (const [part, label] of sources) lines.push(`- ${cell(part)}: ${cell(label, 300)}`);
    lines.push('', '</details>', '');
  } else if (r.offline) {
    // All offline: the banner says it; name why (a key not set, SWITCHYARD_OFFLINE=1) once.
    const why = [...distinct].flatMap((label) =>
      label.startsWith(`${OFFLINE_LABEL}: `) ? [label.slice(OFFLINE_LABEL.length + 2)] : [],
    );
    if (why.length > 0) lines.push(`> Models offline because: ${cell(why.join('; '), 300)}.`, '');
  }
  lines.push(...gateSection(r, cell, d.targets));
  if (r.run)
    lines.push(`[Workflow run](${r.run.url}) · artifact [\`${cell(r.run.artifact)}\`](${r.run.url}#artifacts)`, '');
  lines.push(
    `Project \`${cell(r.project)}\` · base ${r.base ? `\`${cell(r.base)}\`` : '_none (everything evaluated)_'}${r.commit ? ` · head \`${r.commit.slice(0, 12)}\`` : ''}`,
    '',
  );
  lines.push('## What changes for users', '');
  if (r.changes.length === 0) lines.push('Nothing: no resource changes.');
  for (const c of r.changes.slice(0, d.targets)) lines.push(`- ${cell(c.text, 300)}`);
  if (r.changes.length > d.targets) lines.push(`- … ${r.changes.length - d.targets} more in report.json`);
  lines.push('');
  lines.push(...changedPromptsSection(r, d), ...targetsSection(r, d), ...shadowSection(r, d), ...findingsSection(r, d));
  lines.push('## Bundles', '');
  const broken = r.bundles.filter((b) => !b.sha256);
  for (const b of broken) lines.push(`- ${cell(b.env)}: ❌ ${cell(b.errors.join('; '), 300)}`);
  const built = r.bundles.filter((b) => b.sha256);
  if (built.length > 0) {
    lines.push(`<details><summary>${built.length} bundle(s) compiled: digests</summary>`, '');
    for (const b of built) lines.push(`- ${cell(b.env)}: \`sha256:${b.sha256}\` (${b.length} bytes)`);
    lines.push('', '</details>');
  }
  if (r.bundles.length === 0) lines.push('_Not compiled._');
  lines.push('');
  return lines.join('\n');
}

/** The report as Markdown of at most `maxChars` characters. */
export function renderMarkdown(report: Report, maxChars = DEFAULT_MAX_CHARS): string {
  for (const level of LEVELS) {
    const text = render(report, level);
    if (text.length <= maxChars) return text;
  }
  const text = render(report, LEVELS[LEVELS.length - 1] as Detail);
  const note = '\n\n> ✂ Cut to fit the comment size limit; the full report is in report.json.\n';
  let cut = text.slice(0, Math.max(0, maxChars - note.length));
  const br = cut.lastIndexOf('\n');
  if (br > 0) cut = cut.slice(0, br);
  return cut + note;
}
