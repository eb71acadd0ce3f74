/**
 * How long each function of the sources is, in lines from its first token to its last (a nested
 * function counts inside its parent too), for the "split the longest functions into named steps"
 * review (scripts/function-lengths.ts). Pure: parses with the TypeScript compiler API, reads nothing.
 */
import ts from 'typescript';
import type { SourceText } from '../codes/scan-codes.ts';

export interface FunctionLength {
  /** Lines from the function's first token to its last, both included. */
  lines: number;
  /** Its name; a function without one is named by where it sits (`<callback of x.map>`, `<anonymous>`). */
  name: string;
  /** `path:line` of its first line. */
  location: string;
}

function nameOf(node: ts.FunctionLikeDeclaration, file: ts.SourceFile): string {
  if (node.name) return node.name.getText(file);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
    return parent.name.getText(file);
  if (ts.isCallExpression(parent)) return `<callback of ${parent.expression.getText(file).replace(/\s+/g, ' ')}>`;
  return '<anonymous>';
}

/** Every function, method, constructor, accessor and arrow of `sources`, longest first (ties by file, then line). */
export function measureFunctions(sources: SourceText[]): FunctionLength[] {
  const out: Array<FunctionLength & { path: string; line: number }> = [];
  for (const source of sources) {
    const file = ts.createSourceFile(source.path, source.text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
        const fn = node as ts.FunctionLikeDeclaration;
        const line = file.getLineAndCharacterOfPosition(fn.getStart(file)).line + 1;
        const last = file.getLineAndCharacterOfPosition(fn.getEnd()).line + 1;
        out.push({
          lines: last - line + 1,
          name: nameOf(fn, file),
          location: `${source.path}:${line}`,
          path: source.path,
          line,
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  out.sort((a, b) => b.lines - a.lines || (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
  return out.map(({ lines, name, location }) => ({ lines, name, location }));
}

/** A Markdown table of `rows`. */
export function renderLengths(rows: FunctionLength[]): string {
  return [
    '| Lines | Function | Location |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.lines} | ${r.name.replace(/\|/g, '\\|')} | ${r.location} |`),
  ].join('\n');
}
