/** Removes what differs between two runs of the same change (commit ids, digests), for golden files. */
import type { Report } from './model.ts';

export function stripVolatile(report: Report): Report {
  return {
    ...report,
    commit: report.commit === null ? null : '<commit>',
    base: report.base === null ? null : '<base>',
    bundles: report.bundles.map((b) => ({ ...b, sha256: b.sha256 === null ? null : '<sha256>' })),
  };
}
