import { isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { Code } from './codes.ts';
import type { Diagnostic } from './diagnostics.ts';
import { makeDiagnostic, type Where } from './make-diagnostic.ts';
import { estimateNestingDepth } from './nesting-scan.ts';
import { LineIndex } from './positions.ts';
import { parseYamlDocument, type ParsedYaml } from './yaml-parse.ts';

/**
 * A parsed YAML resource: its plain data plus what is needed to point at any value in it. Positions
 * are resolved only when a diagnostic asks for one: the node tree is rebuilt from the text on first
 * use, so valid files (and files parsed in a worker) carry plain data only.
 */
export class YamlFile {
  readonly path: string;
  readonly text: string;
  readonly data: unknown;
  private doc: Document.Parsed | undefined;
  private readonly lines: LineIndex;

  constructor(path: string, text: string, data: unknown) {
    this.path = path;
    this.text = text;
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
    this.doc ??= parseYamlDocument(this.text);
    let node: unknown = this.doc.contents;
    let keyNode: unknown;
    let best = rangeStart(node) ?? 0;
    const segments = pointer === '' ? [] : pointer.slice(1).split('/').map(unescapePointer);
    for (const segment of segments) {
      keyNode = undefined;
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === segment,
        );
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

/** The nesting pre-scan: must pass before a text reaches the parser (in this thread or a worker). */
export function prescanYaml(path: string, text: string, maxDepth: number): Diagnostic | undefined {
  const nesting = estimateNestingDepth(text, maxDepth);
  if (nesting.depth <= maxDepth) return undefined;
  return makeDiagnostic(
    'E_YAML_TOO_DEEP',
    path,
    `nesting deeper than ${maxDepth} levels.`,
    new LineIndex(text).at(nesting.offset),
  );
}

/** Turns what `parseYamlText` returned (here or in a worker) into a file and positioned diagnostics. */
export function yamlResult(
  path: string,
  text: string,
  parsed: ParsedYaml,
): { file?: YamlFile; problems: Diagnostic[] } {
  const file = new YamlFile(path, text, parsed.data);
  if (parsed.problems.length > 0) {
    const problems = parsed.problems.map((problem) => {
      if (problem.pointer !== undefined) return file.diagnostic(problem.code, problem.pointer, problem.message);
      return makeDiagnostic(
        problem.code,
        path,
        problem.message,
        problem.offset === undefined ? {} : file.at(problem.offset),
      );
    });
    return { problems };
  }
  const data = parsed.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return {
      problems: [
        makeDiagnostic(
          'E_NOT_A_MAP',
          path,
          `${path} must be a YAML mapping, not ${data === null || data === undefined ? 'empty' : Array.isArray(data) ? 'a list' : `a ${typeof data}`}.`,
        ),
      ],
    };
  }
  return { file, problems: [] };
}
