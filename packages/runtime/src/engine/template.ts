/**
 * `{{var}}` templates compiled once per bundle swap into literal parts and variable slots, so that
 * rendering is a walk over an array rather than a regular expression per call.
 *
 * This file is the one template grammar of Switchyard (docs/runtime.md, "Templates"): `switchyard
 * validate`, the evaluator, shadow runs and the runtime all read placeholders with it, so a prompt
 * renders the same in CI as in production. A placeholder is `{{ name }}` where `name` is an
 * identifier (`[A-Za-z_][A-Za-z0-9_]*`, the same pattern as a declared variable); it is looked up
 * as an own property of `vars`; `undefined` and `null` count as missing. Anything else between
 * `{{` and `}}` (a dotted path, a hyphen, a nunjucks filter) is literal text — `validate` refuses
 * the reference-like ones (`E_INVALID_PLACEHOLDER`) so none reaches a bundle.
 */

export interface CompiledTemplate {
  /** Literal text and variable names alternate: parts[0], var[0], parts[1], var[1], … parts[n]. */
  readonly parts: readonly string[];
  readonly vars: readonly string[];
}

/** One placeholder name, as declared in a prompt version's `variables`. */
export const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
/** `{{ … }}` that reads like a reference (what promptfoo's nunjucks or older runtimes would fill in). */
const REFERENCE_LIKE = /\{\{\s*([A-Za-z0-9_$][A-Za-z0-9_$.\-[\]'"]*)\s*\}\}/g;

export function compileTemplate(text: string): CompiledTemplate {
  const parts: string[] = [];
  const vars: string[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, m.index));
    vars.push(m[1] as string);
    last = (m.index as number) + m[0].length;
  }
  parts.push(text.slice(last));
  return Object.freeze({ parts: Object.freeze(parts), vars: Object.freeze(vars) });
}

/** Placeholder names used in `text`, in order of first use. */
export function placeholdersIn(text: string): string[] {
  return [...new Set(compileTemplate(text).vars)];
}

/**
 * `{{…}}` in `text` that look like a variable reference but are not placeholders under the grammar
 * (`{{customer.name}}`, `{{user-id}}`, `{{9lives}}`): they would reach the model literally, while a
 * nunjucks template (promptfoo) would look them up. Returned as written, in order of first use.
 */
export function invalidPlaceholdersIn(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(REFERENCE_LIKE)) if (!PLACEHOLDER_NAME.test(m[1] as string)) out.add(m[0]);
  return [...out];
}

/**
 * Renders with `vars`; a missing variable (absent, `undefined` or `null`) is left verbatim
 * (`{{name}}`) and pushed onto `missing`, so nothing is silently replaced by an empty string.
 * Strings are inserted as they are, other values as JSON (numbers and booleans as their text).
 */
export function renderTemplate(
  t: CompiledTemplate,
  vars: Record<string, unknown> | undefined,
  missing: string[],
): string {
  if (t.vars.length === 0) return t.parts[0] as string;
  let out = t.parts[0] as string;
  for (let i = 0; i < t.vars.length; i++) {
    const name = t.vars[i] as string;
    // Own properties only: `{{constructor}}` must not render Object.prototype.constructor.
    const v = typeof vars === 'object' && vars !== null && Object.hasOwn(vars, name) ? vars[name] : undefined;
    if (v === undefined || v === null) {
      if (!missing.includes(name)) missing.push(name);
      out += '{{' + name + '}}';
    } else {
      out += typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    out += t.parts[i + 1] as string;
  }
  return out;
}
