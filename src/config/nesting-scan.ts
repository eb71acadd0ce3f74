/**
 * A cheap, conservative estimate of a YAML text's nesting depth, computed before the real parser
 * runs: deeply nested flow collections (`[[[[…`) make the parser exhaust memory and abort the process,
 * which no try/catch can stop. Over-estimates are fine (the limit is far above any real resource).
 */
export function estimateNestingDepth(text: string, stopAt: number): { depth: number; offset: number } {
  const indents: number[] = [];
  let flow = 0;
  let quote: '"' | "'" | '' = '';
  let max = 0;
  let offset = 0;
  const length = text.length;
  let lineStart = 0;
  while (lineStart < length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = length;
    let i = lineStart;
    if (quote === '' && flow === 0) {
      while (i < lineEnd && text.charCodeAt(i) === 0x20) i++;
      const indent = i - lineStart;
      const first = text[i];
      if (i < lineEnd && first !== '#' && first !== '\r') {
        while (indents.length > 0 && (indents[indents.length - 1] ?? 0) >= indent) indents.pop();
        indents.push(indent);
        // compact nested sequences on one line: `- - - x`
        while (text[i] === '-' && text[i + 1] === ' ') {
          indents.push(indent + 1);
          i += 2;
        }
      }
    }
    for (; i < lineEnd; i++) {
      const c = text[i];
      if (quote !== '') {
        if (c === '\\' && quote === '"') i++;
        else if (c === quote) quote = '';
        continue;
      }
      if (c === '"' || c === "'") {
        // a quote only opens a quoted scalar at the start of a value, not inside plain text (it's)
        const prev = text[i - 1];
        if (
          prev === undefined ||
          prev === ' ' ||
          prev === '[' ||
          prev === '{' ||
          prev === ',' ||
          prev === ':' ||
          prev === '\n' ||
          prev === '-'
        )
          quote = c;
      } else if (c === '#' && (text[i - 1] === ' ' || i === lineStart)) {
        break;
      } else if (c === '[' || c === '{') {
        flow++;
      } else if ((c === ']' || c === '}') && flow > 0) {
        flow--;
      }
      const depth = indents.length + flow;
      if (depth > max) {
        max = depth;
        offset = i;
        if (max > stopAt) return { depth: max, offset };
      }
    }
    if (indents.length > max) {
      max = indents.length;
      offset = lineStart;
      if (max > stopAt) return { depth: max, offset };
    }
    lineStart = lineEnd + 1;
  }
  return { depth: max, offset };
}
