/**
 * Just enough of GitHub's expression syntax to answer "does this `if:` REQUIRE condition X?": X must be
 * the whole expression or one term of a top-level `&&` chain. Anything under `||` or `!` proves
 * nothing (`guard || true` is always true). Pure.
 */

/** Removes a `${{ … }}` wrapper around the whole expression, if present. */
function unwrap(expression: string): string {
  const t = expression.trim();
  const m = /^\$\{\{([\s\S]*)\}\}$/.exec(t);
  return (m ? (m[1] ?? '') : t).trim();
}

/**
 * Splits at a depth-0 operator (outside parentheses and '…' string literals). Returns the parts, or
 * one part when the operator does not occur at the top level.
 */
function splitTopLevel(expression: string, operator: '&&' | '||'): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expression.length; i += 1) {
    const c = expression[i];
    if (c === "'") {
      // GitHub escapes a quote inside a literal by doubling it, which this loop handles as close + open.
      const end = expression.indexOf("'", i + 1);
      if (end < 0) return [expression];
      i = end;
    } else if (c === '(') {
      depth += 1;
    } else if (c === ')') {
      depth -= 1;
    } else if (depth === 0 && expression.startsWith(operator, i)) {
      parts.push(expression.slice(start, i).trim());
      start = i + operator.length;
      i += operator.length - 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts;
}

/** True when the parentheses at both ends enclose the whole expression (`(a) && (b)` is not). */
function wrappedInParens(expression: string): boolean {
  if (!expression.startsWith('(') || !expression.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < expression.length; i += 1) {
    const c = expression[i];
    if (c === "'") {
      const end = expression.indexOf("'", i + 1);
      if (end < 0) return false;
      i = end;
    } else if (c === '(') {
      depth += 1;
    } else if (c === ')') {
      depth -= 1;
      if (depth === 0 && i < expression.length - 1) return false;
    }
  }
  return depth === 0;
}

/**
 * The conditions an expression requires: itself when it is not a conjunction, else the (recursively
 * split) terms of its top-level `&&` chain. An expression with a top-level `||` requires nothing more
 * specific than itself.
 */
export function requiredTerms(expression: string): string[] {
  let e = unwrap(expression);
  while (wrappedInParens(e)) e = e.slice(1, -1).trim();
  if (e === '') return [];
  if (splitTopLevel(e, '||').length > 1) return [e];
  const terms = splitTopLevel(e, '&&');
  if (terms.length === 1) return [e];
  return terms.flatMap(requiredTerms);
}

/** True when one of the patterns matches a whole required term of the `if:` expression. */
export function ifRequires(expression: string, patterns: readonly RegExp[]): boolean {
  return requiredTerms(expression).some((term) => {
    const normal = term.replace(/\s+/g, ' ');
    return patterns.some((re) => re.test(normal));
  });
}
