/** A unified-style line diff (`-`/`+`/` ` prefixes, no hunks) of two short texts such as prompts. */

/** Whether a `lineDiff` result has any removed or added line. */
export function hasChanges(diff: string): boolean {
  return /^[-+] /m.test(diff);
}

/** Every line of `before` and `after`, marked removed, added or kept (longest common subsequence). */
export function lineDiff(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  // Prompts are short (tens of lines): the quadratic table is fine and keeps the code obvious.
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = lcs[i] as number[];
      row[j] = a[i] === b[j] ? (lcs[i + 1]?.[j + 1] ?? 0) + 1 : Math.max(lcs[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(`  ${a[i]}`);
      i++;
      j++;
    } else if (i < a.length && (j >= b.length || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
      // Removed lines before added ones, as in a unified diff.
      out.push(`- ${a[i]}`);
      i++;
    } else {
      out.push(`+ ${b[j]}`);
      j++;
    }
  }
  while (out.length > 0 && out[out.length - 1] === '  ') out.pop();
  return out.join('\n');
}
