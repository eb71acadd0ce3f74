// Types of module-boundaries.js (the rule is plain JavaScript so eslint.config.js loads it without a build).
import type { ESLint } from 'eslint';

export function readModuleGraph(markdown: string): Map<string, Set<string>>;
export function areaOf(absolute: string): { kind: string; pkg?: string; module?: string | null; example?: string };
export function boundaryProblem(file: string, specifier: string): string | null;
export const moduleBoundaries: ESLint.Plugin;
