/** Removes what differs between two runs of the same change (commit ids, digests, latencies), for golden files. */
import type { Report, ReportMetrics } from './model.ts';

const noLatency = (m: ReportMetrics): ReportMetrics => ({ ...m, latencyP50: null, latencyP95: null });

export function stripVolatile(report: Report): Report {
  return {
    ...report,
    commit: report.commit === null ? null : '<commit>',
    base: report.base === null ? null : '<base>',
    bundles: report.bundles.map((b) => ({ ...b, sha256: b.sha256 === null ? null : '<sha256>' })),
    tests: {
      ...report.tests,
      targets: report.tests.targets.map((t) => ({
        ...t,
        metrics: noLatency(t.metrics),
        baseline: t.baseline === null ? null : { ...t.baseline, metrics: noLatency(t.baseline.metrics) },
      })),
    },
  };
}
