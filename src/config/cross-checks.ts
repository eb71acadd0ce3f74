import type { ParsedRepo } from './read-resources.ts';
import type { Project } from './types.ts';

/** Checks that span files (DESIGN §3): references, uniqueness, sums, stages. Appends to `repo`. */
export function crossCheck(project: Project, repo: ParsedRepo): void {
  void project;
  void repo;
}
