import type { Command } from '../command.ts';

/**
 * Command registry: name → lazy loader, so `switchyard validate` never loads promptfoo and
 * `switchyard --help` loads no command at all. Add one line here and the command's one-line
 * summary to ../command-list.json (a test checks that the two agree); the module exports `command`.
 */
export const commands: Record<string, () => Promise<{ command: Command }>> = {
  pipeline: () => import('./pipeline.ts'),
  eval: () => import('./eval.ts'),
  shadow: () => import('./shadow.ts'),
  report: () => import('./report.ts'),
  'model-server': () => import('./model-server.ts'),
  validate: () => import('./validate.ts'),
  kill: () => import('./kill.ts'),
  github: () => import('./github.ts'),
  analyze: () => import('./analyze.ts'),
  plan: () => import('./plan.ts'),
  propose: () => import('./propose.ts'),
  compile: () => import('./compile.ts'),
  keygen: () => import('./keygen.ts'),
  trust: () => import('./trust.ts'),
  sign: () => import('./sign.ts'),
  verify: () => import('./verify.ts'),
  publish: () => import('./publish.ts'),
  serve: () => import('./serve.ts'),
  migrate: () => import('./migrate.ts'),
  import: () => import('./import.ts'),
  ingest: () => import('./ingest.ts'),
  collect: () => import('./collect.ts'),
  explain: () => import('./explain.ts'),
};
