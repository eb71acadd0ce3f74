import type { Diagnostic } from './diagnostics.ts';
import type { FileKind } from './layout.ts';
import type { ParsedRepo, ParsedResource } from './read-resources.ts';
import type { Project } from './types.ts';

/** What a cross-file check needs: the project, the parsed files (for positions) and a place to report. */
export interface CheckContext {
  project: Project;
  repo: ParsedRepo;
  /** Resources that passed their schema, by kind: checks only trust typed data. */
  valid(kind: FileKind): ParsedResource[];
  /** The parsed resource of a kind and name (and version for prompts), valid or not. */
  find(kind: FileKind, name: string, version?: number): ParsedResource | undefined;
  /** A resource file of this kind and name exists (parsed or not). */
  exists(kind: FileKind, name: string, version?: number): boolean;
  /** Declared environment names (from valid settings), or undefined when settings are unusable. */
  environments: Set<string> | undefined;
  report(diagnostic: Diagnostic): void;
}

export function makeContext(project: Project, repo: ParsedRepo): CheckContext {
  const index = new Map<string, ParsedResource>();
  for (const resource of repo.resources) {
    index.set(`${resource.kind}:${resource.name}:${resource.version ?? ''}`, resource);
  }
  const settings = repo.resources.find((r) => r.kind === 'settings');
  const environments = settings?.valid ? new Set(project.settings.environments.map((e) => e.name)) : undefined;
  return {
    project,
    repo,
    valid: (kind) => repo.resources.filter((r) => r.kind === kind && r.valid),
    find: (kind, name, version) => index.get(`${kind}:${name}:${version ?? ''}`),
    exists: (kind, name, version) =>
      repo.present.has(version === undefined ? `${kind}:${name}` : `${kind}:${name}@${version}`),
    environments,
    report: (diagnostic) => (diagnostic.severity === 'error' ? repo.errors : repo.warnings).push(diagnostic),
  };
}

/** Reports environment-override keys that name no declared environment. */
export function checkEnvironmentKeys(
  ctx: CheckContext,
  resource: ParsedResource,
  overrides: Record<string, unknown> | undefined,
): void {
  if (!overrides || !ctx.environments) return;
  for (const env of Object.keys(overrides)) {
    if (!ctx.environments.has(env)) {
      ctx.report(
        resource.file.diagnostic(
          'E_DANGLING_REF',
          `/environments/${env}`,
          `environment '${env}' is not declared in switchyard.yaml.`,
          {
            key: true,
            hint: `Declared environments: ${[...ctx.environments].join(', ')}.`,
          },
        ),
      );
    }
  }
}
