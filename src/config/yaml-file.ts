import { isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { Code } from './codes.ts';
import type { Diagnostic } from './diagnostics.ts';
import { LIMITS } from './limits.ts';
import { makeDiagnostic, type Where } from './make-diagnostic.ts';
import { estimateNestingDepth } from './nesting-scan.ts';
import { LineIndex } from './positions.ts';

/**
 * A parsed YAML resource: its plain data plus what is needed to point at any value in it. Positions
 * are resolved from the node tree only when a diagnostic asks for one.
 */
export class YamlFile {
  readonly path: string;
  readonly text: string;
  readonly data: unknown;
  private readonly doc: Document.Parsed | undefined;
  private readonly lines: LineIndex;

  constructor(path: string, text: string, doc: Document.Parsed | undefined, data: unknown) {
    this.path = path;
    this.text = text;
    this.doc = doc;
    this.data = data;
    this.lines = new LineIndex(text);
  }

  /**
   * Position of the value at a JSON pointer (`/variants/control/weight`). With `key: true`, the
   * position of the key itself (for unknown keys). Falls back to the nearest existing ancestor.
   */
  locate(pointer: string, options: { key?: boolean } = {}): { line: number; col: number } {
    const offset = this.offsetOf(pointer, options.key === true);
    return this.lines.at(offset);
  }

  /** Position of a character offset in the text. */
  at(offset: number): { line: number; col: number } {
    return this.lines.at(offset);
  }

  /** A diagnostic pointing at `pointer`. */
  diagnostic(code: Code, pointer: string, message: string, options: { key?: boolean; hint?: string } = {}): Diagnostic {
    const where: Where = { ...this.locate(pointer, options), pointer };
    if (options.hint !== undefined) where.hint = options.hint;
    return makeDiagnostic(code, this.path, message, where);
  }

  private offsetOf(pointer: string, wantKey: boolean): number {
    let node: unknown = this.doc?.contents;
    let keyNode: unknown;
    let best = rangeStart(node) ?? 0;
    const segments = pointer === '' ? [] : pointer.slice(1).split('/').map(unescapePointer);
    for (const segment of segments) {
      keyNode = undefined;
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === segment);
        if (!pair) break;
        keyNode = pair.key;
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(segment)];
        if (item === undefined) break;
        node = item;
      } else {
        break;
      }
      best = rangeStart(wantKey && keyNode ? keyNode : node) ?? rangeStart(keyNode) ?? best;
    }
    return best;
  }
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

const YAML_CODES: Record<string, Code> = {
  DUPLICATE_KEY: 'E_YAML_DUPLICATE_KEY',
  MULTIPLE_DOCS: 'E_YAML_MULTIPLE_DOCS',
  RESOURCE_EXHAUSTION: 'E_YAML_TOO_DEEP',
  TAG_RESOLVE_FAILED: 'E_YAML_TAG',
};

/** Parses a YAML resource. `file` is undefined when the text could not become data at all. */
export function parseYaml(path: string, text: string, limits: { maxAliasCount: number; maxDepth: number } = LIMITS): { file?: YamlFile; problems: Diagnostic[] } {
  const problems: Diagnostic[] = [];
  const lines = new LineIndex(text);
  const nesting = estimateNestingDepth(text, limits.maxDepth);
  if (nesting.depth > limits.maxDepth) {
    problems.push(makeDiagnostic('E_YAML_TOO_DEEP', path, `nesting deeper than ${limits.maxDepth} levels.`, lines.at(nesting.offset)));
    return { problems };
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, keepSourceTokens: false });
  for (const error of [...doc.errors, ...doc.warnings]) {
    const code = YAML_CODES[error.code] ?? 'E_YAML_SYNTAX';
    problems.push(makeDiagnostic(code, path, firstLine(error.message), lines.at(error.pos[0])));
  }
  if (problems.length > 0) return { problems };
  // Explicit tags other than plain-data ones would turn into Buffers, Sets, … that no schema expects.
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (error) {
    const message = (error as Error).message;
    const code: Code = /alias/i.test(message) ? 'E_YAML_ALIAS_LIMIT' : 'E_YAML_SYNTAX';
    problems.push(makeDiagnostic(code, path, firstLine(message)));
    return { problems };
  }
  const file = new YamlFile(path, text, doc, data);
  const tagged = findNonPlainValue(data, '', 0);
  if (tagged !== undefined) {
    problems.push(file.diagnostic('E_YAML_TAG', tagged, `a value that is not plain data (a tag such as !!binary or !!set).`));
    return { problems };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    problems.push(makeDiagnostic('E_NOT_A_MAP', path, `${path} must be a YAML mapping, not ${data === null ? 'empty' : Array.isArray(data) ? 'a list' : `a ${typeof data}`}.`));
    return { problems };
  }
  return { file, problems };
}

/** JSON pointer of the first value that JSON could not hold (Buffer, Map, Set, Date, …). */
function findNonPlainValue(value: unknown, pointer: string, depth: number): string | undefined {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function' ? pointer : undefined;
  }
  if (depth > 64) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNonPlainValue(value[i], `${pointer}/${i}`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return pointer;
  for (const [key, item] of Object.entries(value)) {
    const found = findNonPlainValue(item, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}
