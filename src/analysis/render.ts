import { metricLineChart, similarityHistogram } from './charts.ts';
import type {
  Analysis,
  CanaryAnalysis,
  ExperimentAnalysis,
  GuardrailCheck,
  ShadowAnalysis,
  VariantEvidence,
} from './types.ts';

export type AnalysisFormat = 'text' | 'json' | 'markdown';

const num = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : x.toPrecision(digits);
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)}%`);
const p = (x: number | null | undefined) =>
  x === null || x === undefined ? '–' : x < 1e-4 ? x.toExponential(1) : x.toFixed(4);
const ci = (c: [number, number] | null | undefined, digits = 4) =>
  c ? `[${num(c[0], digits)}, ${num(c[1], digits)}]` : '–';

function table(md: boolean, header: string[], rows: string[][]): string[] {
  if (md)
    return [
      `| ${header.join(' | ')} |`,
      `|${header.map(() => '---').join('|')}|`,
      ...rows.map((r) => `| ${r.join(' | ')} |`),
    ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function chart(md: boolean, mermaid: string, legend: string[] = []): string[] {
  if (!md) return [];
  return ['', '```mermaid', mermaid, '```', ...(legend.length ? ['', `<sub>${legend.join(' · ')}</sub>`] : [])];
}

function variantRows(variants: VariantEvidence[]): string[][] {
  return variants.map((v) => [
    v.variant,
    String(v.exposed),
    String(v.reporting ?? v.n),
    String(v.n),
    v.binary ? pct(v.mean) : num(v.mean),
    num(Math.sqrt(v.variance)),
  ]);
}

const VARIANT_HEADER = (metric: string) => [
  'variant',
  'units exposed',
  `units reporting ${metric}`,
  'units in estimate',
  'mean',
  'sd',
];

const definition = (d: { kind: string; direction: string; declared: boolean }) =>
  `${d.kind}, ${d.direction} is better${d.declared ? '' : ' (assumed: declare it in the YAML)'}`;

function guardrailLine(g: GuardrailCheck, label: string): string {
  return `guardrail ${label}: ${num(g.mean)} vs ${num(g.controlMean)} control (${g.direction} is better), always-valid p = ${p(g.pValue)}, Holm-adjusted ${p(g.adjustedP)}${g.breached ? ' — BREACHED' : ''}`;
}

function experiment(a: ExperimentAnalysis, md: boolean): string[] {
  const out = [
    md
      ? `### Experiment \`${a.id}\`: **${a.decision}**${a.winner ? ` — ${a.winner}` : ''}`
      : `experiment ${a.id}: ${a.decision}${a.winner ? ` (${a.winner})` : ''}`,
    '',
  ];
  out.push(...a.reasons.map((r) => `- ${r}`), '');
  out.push(`metric ${a.metric}: ${definition(a.metricDefinition)}`, '');
  out.push(...table(md, VARIANT_HEADER(a.metric), variantRows(a.variants)), '');
  if (a.comparisons.length) {
    out.push(
      ...table(
        md,
        [
          'vs control',
          'test',
          'difference',
          'lift',
          `${Math.round((1 - a.alpha) * 100)}% CI`,
          'p',
          'always-valid p (running min)',
          'always-valid CI',
        ],
        a.comparisons.map((c) => [
          c.variant,
          c.test,
          num(c.difference),
          pct(c.relativeLift),
          ci(c.ci),
          p(c.pValue),
          p(c.sequential?.minP),
          ci(c.sequential?.ci),
        ]),
      ),
      '',
    );
  }
  if (a.srm)
    out.push(
      `SRM: sequential p = ${p(a.srm.minP)} (running min; blocks below 0.001), χ² = ${a.srm.chiSquare.toFixed(2)} ${a.srm.mismatch ? '(MISMATCH: blocked)' : '(ok)'}; minimum ${a.effectiveMinSamples} units per variant`,
    );
  for (const g of a.guardrails) out.push(guardrailLine(g, `${g.metric} (${g.variant})`));
  const line = a.series ? metricLineChart(`${a.metric} per variant over time`, a.series) : null;
  if (line) out.push(...chart(md, line.mermaid, line.legend));
  return out;
}

function shadow(a: ShadowAnalysis, md: boolean): string[] {
  const head = `${a.readyToSwitch ? 'ready to switch' : 'not ready'}`;
  const out = [
    md
      ? `### Shadow \`${a.rollout}\` (${a.model} → ${a.to}): **${head}**`
      : `shadow ${a.rollout} (${a.model} → ${a.to}): ${head}`,
    '',
  ];
  out.push(...a.reasons.map((r) => `- ${r}`), '');
  out.push(
    ...table(
      md,
      ['pairs', 'scored', 'errors', 'invalid scores', 'avg', 'min', 'p10', 'p50', 'gate'],
      [
        [
          String(a.pairs),
          String(a.scored),
          String(a.errors),
          String(a.invalid),
          num(a.avg, 3),
          num(a.min, 3),
          num(a.p10, 3),
          num(a.p50, 3),
          `avg > ${a.gate.minAvgSimilarity}, min > ${a.gate.minMinSimilarity}, ≥ ${a.gate.minPairs} pairs, ≤ ${(a.gate.maxErrorRate * 100).toFixed(1)}% errors`,
        ],
      ],
    ),
  );
  if (a.scored > 0)
    out.push(...chart(md, similarityHistogram(`similarity of ${a.scored} production pairs`, a.histogram)));
  if (a.worst.length) {
    out.push('', md ? '**Most divergent pairs**' : 'most divergent pairs:', '');
    const clip = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 80);
    out.push(
      ...table(
        md,
        ['similarity', 'unit', 'primary', 'candidate'],
        a.worst.map((w) => [num(w.similarity, 3), w.unitKey, clip(w.primaryOutput), clip(w.candidateOutput)]),
      ),
    );
  }
  return out;
}

function canary(a: CanaryAnalysis, md: boolean): string[] {
  const head = `${a.decision}${a.decision === 'advance' ? ` to ${a.nextPercent}%` : a.decision === 'revert' ? ' to 0%' : ''}`;
  const out = [
    md ? `### Canary \`${a.id}\` at ${a.percent}%: **${head}**` : `canary ${a.id} at ${a.percent}%: ${head}`,
    '',
  ];
  out.push(...a.reasons.map((r) => `- ${r}`), '');
  out.push(`metric ${a.metric}: ${definition(a.metricDefinition)}`, '');
  out.push(
    ...table(
      md,
      VARIANT_HEADER(a.metric),
      variantRows([a.control, a.candidate].filter((v): v is VariantEvidence => v !== null)),
    ),
    '',
  );
  out.push(
    `relative index = ${num(a.index?.index)} (1 = same as control, direction-aware), always-valid CI ${ci(a.index?.sequentialCi)}, always-valid p = ${p(a.sequential?.minP)}; candidate/control = ${num(a.ratio?.ratio)} 95% CI ${ci(a.ratio?.ci)}; revert below ${a.thresholds.revertBelow}, advance above ${a.thresholds.advanceAbove}, minimum ${a.thresholds.effectiveMinSamples} units per arm`,
  );
  for (const g of a.guardrails) out.push(guardrailLine(g, g.metric));
  const line = a.series ? metricLineChart(`${a.metric}: candidate vs control over time`, a.series) : null;
  if (line) out.push(...chart(md, line.mermaid, line.legend));
  return out;
}

/** Renders an analysis for people (text, Markdown with Mermaid charts) or machines (JSON). */
export function renderAnalysis(analysis: Analysis, format: AnalysisFormat): string {
  if (format === 'json') return JSON.stringify(analysis, null, 2);
  const md = format === 'markdown';
  const lines =
    analysis.kind === 'experiment'
      ? experiment(analysis, md)
      : analysis.kind === 'shadow'
        ? shadow(analysis, md)
        : canary(analysis, md);
  return (
    lines
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd() + '\n'
  );
}
