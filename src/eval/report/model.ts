/**
 * The report document (`report.json`): the same content as the Markdown comment, for machines.
 * Its JSON Schema is `schemas/report.schema.json`; the comment job validates uploads against it.
 */
import type { Diagnostic } from '../../config/diagnostics.ts';
import type { ConfigChange } from '../semantic-diff.ts';
import type { ShadowPair, ShadowResult } from '../shadow.ts';
import type { TargetGate } from '../targets.ts';
import type { GateVerdict } from '../../gate/index.ts';
import type { SimilarityHistogram } from './similarity-histogram.ts';

/** The gate's part of the report: the policy applied (from the base), policy changes, exposure. */
export type ReportGate = Omit<GateVerdict, 'policy'> & { policy: Omit<GateVerdict['policy'], 'promptBars'> };

export const REPORT_FORMAT = 1;

export interface ReportCaseFailure {
  case: string;
  description: string;
  output: string;
  /** Set when the case errored (provider or harness) instead of failing an assertion. */
  error: string | null;
  /** `type: reason` of every failed assertion. */
  failed: string[];
  /** 1-based line of the case, when known: in `file`, else in the target's file. */
  line: number | null;
  /** The tests file the case is written in (`tests.cases: file://…`), when not the target's file. */
  file?: string;
}

/** What a target's cases cost and how fast they were (null: no data, e.g. no price declared). */
export interface ReportMetrics {
  /** Mean total tokens per case. */
  tokens: number | null;
  latencyP50: number | null;
  latencyP95: number | null;
  /** USD per 1,000 requests, from the model YAML's prices. */
  costPer1k: number | null;
}

/** The base side of a changed prompt: what the base serves, on its own tests. */
export interface ReportBaseline {
  id: string;
  version: number;
  snapshot: string;
  passed: number;
  evaluated: number;
  passRate: number;
  metrics: ReportMetrics;
}

export interface ReportTarget {
  id: string;
  prompt: string;
  version: number;
  snapshot: string;
  status: 'draft' | 'active' | 'deprecated';
  file: string;
  reasons: string[];
  gate: TargetGate;
  minPassRate: number;
  passed: number;
  evaluated: number;
  expected: number;
  passRate: number;
  cached: number;
  /** Cases whose assertions said no. */
  failed: number;
  /** Cases without a verdict (provider or harness failure). */
  errored: number;
  ok: boolean;
  metrics: ReportMetrics;
  /** What the base serves for this prompt (null: nothing to compare with). */
  baseline: ReportBaseline | null;
  /** Line diff of the prompt, base → head (`-`/`+`/` ` prefixed lines); null without a baseline. */
  diff: string | null;
  failures: ReportCaseFailure[];
}

/** A shadow pair as the report carries it (the same shape the shadow runner produces). */
export type ReportPair = ShadowPair;

/**
 * A shadow comparison as the report carries it: the runner's result without the full pair list, with
 * the histogram of every pair's cosine instead (absent in reports written before it existed).
 */
export type ReportShadow = Omit<ShadowResult, 'pairs'> & { histogram?: SimilarityHistogram };

export interface ReportBundle {
  env: string;
  sha256: string | null;
  length: number | null;
  errors: string[];
}

export interface Report {
  kind: 'switchyard.report';
  format: typeof REPORT_FORMAT;
  verdict: 'pass' | 'fail';
  /** Why the verdict is `fail` (empty on pass). */
  blockers: string[];
  project: string;
  /** Some results came from the offline model server (see `sources`). */
  offline: boolean;
  endpoint: string;
  /**
   * Where answers came from, per part of the run (`model chat`, `grading`, `shadow pin:chat (head)`…):
   * the route's label, saying why when it is the offline server. Absent in older reports.
   */
  sources?: Record<string, string>;
  base: string | null;
  commit: string | null;
  changes: ConfigChange[];
  tests: {
    /** False when no eval results were supplied. */
    ran: boolean;
    shards: number;
    targets: ReportTarget[];
    stats: { cases: number; passed: number; failed: number; errored: number; cached: number };
  };
  shadow: { ran: boolean; embeddingModel: string | null; comparisons: ReportShadow[] };
  findings: { errors: Diagnostic[]; warnings: Diagnostic[] };
  bundles: ReportBundle[];
  /** `config-invalid`: the head does not validate, so nothing else was judged. */
  status?: 'evaluated' | 'config-invalid';
  /** sha256 of the head configuration the report judged (see `configDigest`). */
  configDigest?: string | null;
  /** Config files that differ from the commit (the report judged the working tree, not `commit`). */
  uncommitted?: string[];
  /** The exposure gate's verdict (absent without a base). */
  gate?: ReportGate;
  /** The CI run that produced the report and its artifact (null outside CI). */
  run?: { url: string; artifact: string } | null;
}
