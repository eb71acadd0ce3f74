/**
 * Do the workflows give every model its key? Each model is called live only when its own key
 * variable is set (docs/evaluation.md, "Keys in CI"); a step that calls models (it passes
 * `OPENAI_API_KEY`) but not, say, `CLAUDE_KEY` that models/judge.yaml declares would answer that
 * model offline in CI. Pure: the workflow text and the variables the pins declare in, diagnostics out.
 *
 * - `E_WF_MODEL_KEY_NOT_PASSED` a step that passes OPENAI_API_KEY does not pass a key variable a model
 *   pin declares (`apiKeyEnv`, the Anthropic default, or an http header variable).
 */
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { Diagnostic } from '../config/diagnostics.ts';

/** One variable the models need, and the model files that declare it. */
export interface ModelKey {
  variable: string;
  declaredBy: string[];
}

/** The steps that call models are the ones given OPENAI_API_KEY (grading and OpenAI-wire models). */
const MODEL_STEP_MARKER = 'OPENAI_API_KEY';

/**
 * Diagnostics for every model-calling step of `text` that lacks one of `keys` in its `env:`.
 * A workflow that does not parse yields none (the workflow policy reports it).
 */
export function checkWorkflowKeys(file: string, text: string, keys: readonly ModelKey[]): Diagnostic[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0 || !isMap(doc.contents)) return [];
  const at = (node: Node | null | undefined) => {
    const pos = lines.linePos(node?.range?.[0] ?? 0);
    return { line: pos.line, col: pos.col };
  };
  const out: Diagnostic[] = [];
  const jobs = doc.contents.get('jobs', true);
  if (!isMap(jobs)) return out;
  for (const job of jobs.items) {
    const steps = isMap(job.value) ? job.value.get('steps', true) : undefined;
    if (!isSeq(steps)) continue;
    for (const step of steps.items) {
      if (!isMap(step)) continue;
      const env = step.get('env', true);
      if (!isMap(env) || !env.has(MODEL_STEP_MARKER)) continue;
      const name = String(step.get('name') ?? step.get('run') ?? step.get('uses') ?? 'a step');
      for (const key of keys) {
        if (env.has(key.variable)) continue;
        out.push({
          code: 'E_WF_MODEL_KEY_NOT_PASSED',
          severity: 'error',
          message: `step '${name}' of job '${String(job.key)}' calls models but does not pass ${key.variable} (declared by ${key.declaredBy.join(', ')}): those models would be answered by the offline model server.`,
          hint: `add \`${key.variable}: \${{ secrets.${key.variable} }}\` to this step's env: (and the secret to the repository).`,
          file,
          ...at(env),
        });
      }
    }
  }
  return out;
}
