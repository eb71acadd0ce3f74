import type { ParsedRepo } from './read-resources.ts';
import type { Project } from './types.ts';

/** History rules: compares the project at the base ref with the working tree. Appends to `head`. */
export function historyCheck(base: Project, head: Project, headRepo: ParsedRepo): void {
  void base;
  void head;
  void headRepo;
}
