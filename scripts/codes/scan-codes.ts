/**
 * Finds every stable code (`E_…`, `W_…`) in the TypeScript sources and where it is raised, for the
 * generated catalogue docs/error-codes.md (`npm run codes`). Pure: source texts in, entries out.
 *
 * Read with the TypeScript parser, not with a regular expression, so that comments that merely
 * mention a code do not count, and so that a code raised through a constant (`VerifyCode.EXPIRED`)
 * is found at its use. What counts:
 * - a string literal that is exactly a code (`'E_STORE_OPEN'`) is a raise site, unless it is only
 *   compared against (`error.code === 'E_X'`, `case 'E_X':`) or is a type (`type C = 'E_X'`);
 * - any code token (`CODE_TOKEN`) inside a longer string or template literal is a raise site too:
 *   `\`E_INGEST_READ: cannot read ${path}\`` or `'… (E_X)'` is text a user reads, so the code must be
 *   in the catalogue. A token ending in `_` before a `${…}` (`\`E_WF_${kind}\``) is a computed code
 *   and is skipped: its concrete codes are written out elsewhere. Comments never count.
 * - an object key that is a code (`E_NO_SETTINGS: { summary, hint }` in a catalogue map,
 *   `E_BAD_JSON: 400`) defines it, with the map entry's `summary` and `hint` when it has them;
 * - a constant member whose value is a code (`EXPIRED: 'E_EXPIRED'`) defines it, with its JSDoc as
 *   the meaning, and every `Holder.MEMBER` access is a raise site.
 * The meaning falls back to the message written next to the code at its first raise site, the hint
 * to a `hint` written there; scripts/codes/notes.ts, written by hand, comes before both.
 */
import ts from 'typescript';
import { CODE_NOTES } from './notes.ts';

export const CODE_PATTERN = /^[EW]_[A-Z0-9]+(?:_[A-Z0-9]+)*$/;

/** A code anywhere in a text (docs/error-codes.md): `E_`/`W_` and at least two more characters. */
export const CODE_TOKEN = /\b[EW]_[A-Z0-9_]{2,}\b/g;

export interface SourceText {
  /** Repository-relative path with forward slashes. */
  path: string;
  text: string;
}

export interface CodeSite {
  file: string;
  line: number;
}

export interface CodeEntry {
  code: string;
  severity: 'error' | 'warning';
  /** What the code means (catalogue summary, JSDoc, or the message at the first raise site). */
  meaning: string | undefined;
  /** What to do (catalogue hint or a hint written at a raise site). */
  hint: string | undefined;
  /** Where it is defined in a catalogue map or constant, if anywhere. */
  definedAt: CodeSite | undefined;
  /** Where it is raised, sorted by file and line. */
  sites: CodeSite[];
}

interface Draft {
  meaning?: string;
  hint?: string;
  definedAt?: CodeSite;
  sites: CodeSite[];
  /** Message and hint found at raise sites, in site order (used when no catalogue text exists). */
  siteMessages: Array<{ site: CodeSite; message?: string; hint?: string }>;
}

/** Scans the given sources and returns one entry per code, sorted by code. */
export function scanCodes(sources: readonly SourceText[]): CodeEntry[] {
  const drafts = new Map<string, Draft>();
  const draft = (code: string): Draft => {
    let d = drafts.get(code);
    if (!d) drafts.set(code, (d = { sites: [], siteMessages: [] }));
    return d;
  };
  const parsed = sources.map((s) => ({
    path: s.path,
    file: ts.createSourceFile(s.path, s.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS),
  }));

  // Pass 1: constants whose members are codes (`VerifyCode.EXPIRED`), so pass 2 can resolve accesses.
  const aliases = new Map<string, string>();
  for (const { path, file } of parsed) {
    visit(file, (node) => {
      if (!ts.isPropertyAssignment(node) || !isAliasDefinition(node.initializer)) return;
      const holder = holderName(node.parent) as string;
      const member = propertyName(node.name) as string;
      const code = (node.initializer as ts.StringLiteralLike).text;
      aliases.set(`${holder}.${member}`, code);
      const d = draft(code);
      d.definedAt ??= site(path, file, node);
      d.meaning ??= jsDocText(node, file);
    });
  }

  // Pass 2: catalogue keys, literal raise sites, and constant accesses.
  for (const { path, file } of parsed) {
    visit(file, (node) => {
      if (ts.isPropertyAssignment(node)) {
        const key = propertyName(node.name);
        if (key !== undefined && CODE_PATTERN.test(key)) {
          const d = draft(key);
          d.definedAt ??= site(path, file, node);
          if (ts.isObjectLiteralExpression(node.initializer)) {
            d.meaning ??= stringProperty(node.initializer, 'summary');
            d.hint ??= stringProperty(node.initializer, 'hint');
          }
          d.meaning ??= jsDocText(node, file);
        }
        return;
      }
      if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
        const code = aliases.get(`${node.expression.text}.${node.name.text}`);
        if (code !== undefined && !isComparison(node) && !isAliasDefinition(node))
          addSite(draft(code), path, file, node);
        return;
      }
      if (isCodeLiteral(node)) {
        if (!isComparison(node) && !isTypePosition(node) && !isAliasDefinition(node))
          addSite(draft((node as ts.StringLiteralLike).text), path, file, node);
        return;
      }
      for (const code of codesInText(node)) addSite(draft(code), path, file, node);
    });
  }

  return [...drafts.entries()]
    .filter(([, d]) => d.sites.length > 0 || d.definedAt !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, d]) => {
      const sites = [...d.sites].sort(compareSites);
      const messages = [...d.siteMessages].sort((a, b) => compareSites(a.site, b.site));
      return {
        code,
        severity: code.startsWith('W_') ? 'warning' : 'error',
        meaning: CODE_NOTES[code]?.meaning ?? d.meaning ?? messages.find((m) => m.message !== undefined)?.message,
        hint: CODE_NOTES[code]?.hint ?? d.hint ?? messages.find((m) => m.hint !== undefined)?.hint,
        definedAt: d.definedAt,
        sites,
      };
    });
}

function addSite(d: Draft, path: string, file: ts.SourceFile, node: ts.Node): void {
  const where = site(path, file, node);
  if (!d.sites.some((s) => s.file === where.file && s.line === where.line)) d.sites.push(where);
  const near = textsNear(node);
  d.siteMessages.push({ site: where, ...near });
}

/** The message and hint written next to a code: the call's next text argument, or sibling properties. */
function textsNear(node: ts.Node): { message?: string; hint?: string } {
  const parent = node.parent;
  if (parent && (ts.isCallExpression(parent) || ts.isNewExpression(parent))) {
    const args = [...(parent.arguments ?? [])];
    const after = args.slice(args.indexOf(node as ts.Expression) + 1);
    const message = after.map(literalText).find((t) => t !== undefined && t.includes(' '));
    const options = after.find(ts.isObjectLiteralExpression);
    const hint = options ? stringProperty(options, 'hint') : undefined;
    return { ...(message !== undefined ? { message } : {}), ...(hint !== undefined ? { hint } : {}) };
  }
  if (parent && ts.isPropertyAssignment(parent) && ts.isObjectLiteralExpression(parent.parent)) {
    const message = stringProperty(parent.parent, 'message') ?? stringProperty(parent.parent, 'error');
    const hint = stringProperty(parent.parent, 'hint');
    return { ...(message !== undefined ? { message } : {}), ...(hint !== undefined ? { hint } : {}) };
  }
  return {};
}

function visit(node: ts.Node, fn: (node: ts.Node) => void): void {
  fn(node);
  ts.forEachChild(node, (child) => visit(child, fn));
}

/** Codes written inside a longer string or template literal (a message that names its code). */
function codesInText(node: ts.Node): string[] {
  if (
    !ts.isStringLiteral(node) &&
    !ts.isNoSubstitutionTemplateLiteral(node) &&
    !ts.isTemplateHead(node) &&
    !ts.isTemplateMiddle(node) &&
    !ts.isTemplateTail(node)
  )
    return [];
  if (ts.isLiteralTypeNode(node.parent) || ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent))
    return [];
  return [...new Set([...node.text.matchAll(CODE_TOKEN)].map((m) => m[0]).filter((t) => !t.endsWith('_')))];
}

function isCodeLiteral(node: ts.Node): boolean {
  return (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && CODE_PATTERN.test(node.text);
}

/** `x === 'E_X'`, `'E_X' !== x`, `case 'E_X':` — a code being handled, not raised. */
function isComparison(node: ts.Node): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if (ts.isCaseClause(parent) && parent.expression === node) return true;
  if (ts.isBinaryExpression(parent)) {
    const op = parent.operatorToken.kind;
    return (
      op === ts.SyntaxKind.EqualsEqualsEqualsToken ||
      op === ts.SyntaxKind.ExclamationEqualsEqualsToken ||
      op === ts.SyntaxKind.EqualsEqualsToken ||
      op === ts.SyntaxKind.ExclamationEqualsToken
    );
  }
  return false;
}

function isTypePosition(node: ts.Node): boolean {
  return node.parent !== undefined && ts.isLiteralTypeNode(node.parent);
}

/** The value of `EXPIRED: 'E_EXPIRED'` inside a code constant: a definition, not a raise. */
function isAliasDefinition(node: ts.Node): boolean {
  const parent = node.parent;
  if (!isCodeLiteral(node) || !parent || !ts.isPropertyAssignment(parent) || parent.initializer !== node) return false;
  const member = propertyName(parent.name);
  return (
    holderName(parent.parent) !== undefined &&
    member !== undefined &&
    !CODE_PATTERN.test(member) &&
    /^[A-Z][A-Z0-9_]*$/.test(member)
  );
}

/** `VerifyCode` for the object literal of `const VerifyCode = { … } (as const)`. */
function holderName(node: ts.Node | undefined): string | undefined {
  if (!node || !ts.isObjectLiteralExpression(node)) return undefined;
  let up: ts.Node = node.parent;
  while (ts.isAsExpression(up) || ts.isSatisfiesExpression(up) || ts.isParenthesizedExpression(up)) up = up.parent;
  return ts.isVariableDeclaration(up) && ts.isIdentifier(up.name) ? up.name.text : undefined;
}

function propertyName(name: ts.PropertyName): string | undefined {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
}

function stringProperty(object: ts.ObjectLiteralExpression, key: string): string | undefined {
  for (const p of object.properties) {
    if (ts.isPropertyAssignment(p) && propertyName(p.name) === key) return literalText(p.initializer);
  }
  return undefined;
}

/** A string or template literal's text, with `${…}` parts shown as `…`; undefined for anything else. */
function literalText(node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return clean(node.text);
  if (ts.isTemplateExpression(node))
    return clean(node.head.text + node.templateSpans.map((s) => `…${s.literal.text}`).join(''));
  return undefined;
}

function jsDocText(node: ts.Node, file: ts.SourceFile): string | undefined {
  const ranges = ts.getLeadingCommentRanges(file.text, node.getFullStart()) ?? [];
  const docs = ranges.map((r) => file.text.slice(r.pos, r.end)).filter((c) => c.startsWith('/**'));
  const last = docs.at(-1);
  if (last === undefined) return undefined;
  return clean(last.replace(/^\/\*\*|\*\/$/g, '').replace(/^\s*\* ?/gm, ''));
}

function clean(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function site(path: string, file: ts.SourceFile, node: ts.Node): CodeSite {
  return { file: path, line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1 };
}

function compareSites(a: CodeSite, b: CodeSite): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line;
}
