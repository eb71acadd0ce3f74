/**
 * `{{var}}` templates compiled once per bundle swap into literal parts and variable slots, so that
 * rendering is a walk over an array rather than a regular expression per call.
 */

export interface CompiledTemplate {
  /** Literal text and variable names alternate: parts[0], var[0], parts[1], var[1], … parts[n]. */
  readonly parts: readonly string[];
  readonly vars: readonly string[];
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

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

/**
 * Renders with `vars`; a missing variable is left verbatim (`{{name}}`) and pushed onto `missing`,
 * so nothing is silently replaced by an empty string.
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
