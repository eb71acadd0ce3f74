/**
 * The report of a change whose configuration does not validate: blocked, with every finding at its
 * file:line — never an internal error, never an earlier run's verdict. Nothing else is judged
 * (results, plans and bundles need a valid head).
 */
import type { Diagnostic } from '../../config/diagnostics.ts';
import { REPORT_FORMAT, type Report } from './model.ts';

export interface InvalidReportInputs {
  project: string;
  base: string | null;
  commit: string | null;
  findings: { errors: Diagnostic[]; warnings: Diagnostic[] };
  uncommitted?: string[];
}

export function buildConfigInvalidReport(inputs: InvalidReportInputs): Report {
  const errors = inputs.findings.errors;
  const blockers = [
    `E_REPORT_CONFIG_INVALID the configuration does not validate: ${errors.length} error(s)`,
    ...errors.slice(0, 20).map((d) => `${d.code} ${d.file}:${d.line}:${d.col}: ${d.message}`),
  ];
  return {
    kind: 'switchyard.report',
    format: REPORT_FORMAT,
    verdict: 'fail',
    blockers,
    project: inputs.project,
    offline: false,
    endpoint: 'none',
    base: inputs.base,
    commit: inputs.commit,
    changes: [],
    tests: { ran: false, shards: 0, targets: [], stats: { cases: 0, passed: 0, failed: 0, errored: 0, cached: 0 } },
    shadow: { ran: false, embeddingModel: null, comparisons: [] },
    findings: inputs.findings,
    bundles: [],
    status: 'config-invalid',
    configDigest: null,
    uncommitted: inputs.uncommitted ?? [],
  };
}
