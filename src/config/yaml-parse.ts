import { parseDocument, type Document } from 'yaml';
import type { Code } from './codes.ts';

/**
 * Text → plain data, the one YAML parsing step. It runs both in the loader's thread and in the parse
 * workers (`parse-worker.ts`), so it returns only structured-clone-safe values: data plus problems
 * described by character offset or JSON pointer, never the `yaml` Document. Positions are resolved
 * later, on the loader's side, only for files that have a diagnostic.
 *
 * Callers must run the nesting pre-scan (`nesting-scan.ts`) first: deeply nested flow collections make
 * the parser abort the process.
 */

/** A parse problem; `offset` (into the text) or `pointer` (into the data) says where, when known. */
export interface YamlProblem {
  code: Code;
  message: string;
  offset?: number;
  pointer?: string;
}

/** `data` is present only when there are no problems. */
export interface ParsedYaml {
  data?: unknown;
  problems: YamlProblem[];
}

const OPTIONS = { uniqueKeys: true, prettyErrors: false, keepSourceTokens: false } as const;

const YAML_CODES: Record<string, Code> = {
  DUPLICATE_KEY: 'E_YAML_DUPLICATE_KEY',
  MULTIPLE_DOCS: 'E_YAML_MULTIPLE_DOCS',
  RESOURCE_EXHAUSTION: 'E_YAML_TOO_DEEP',
  TAG_RESOLVE_FAILED: 'E_YAML_TAG',
};

/** The node tree of a text, with the same options as `parseYamlText` (so ranges agree with its offsets). */
export function parseYamlDocument(text: string): Document.Parsed {
  return parseDocument(text, OPTIONS);
}

/** Parses one YAML document into plain data; `maxAliasCount` stops "billion laughs" expansion. */
export function parseYamlText(text: string, maxAliasCount: number): ParsedYaml {
  const doc = parseYamlDocument(text);
  const problems: YamlProblem[] = [];
  for (const error of doc.errors) problems.push(toProblem(error, text));
  for (const warning of doc.warnings) problems.push(toProblem(warning, text));
  if (problems.length > 0) return { problems };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount });
  } catch (error) {
    const message = (error as Error).message;
    return {
      problems: [
        { code: /alias/i.test(message) ? 'E_YAML_ALIAS_LIMIT' : 'E_YAML_SYNTAX', message: firstLine(message) },
      ],
    };
  }
  // Explicit tags other than plain-data ones would turn into Buffers, Sets, … that no schema expects.
  const tagged = findNonPlainValue(data, 0);
  if (tagged !== undefined) {
    return {
      problems: [
        {
          code: 'E_YAML_TAG',
          message: 'a value that is not plain data (a tag such as !!binary or !!set).',
          pointer: tagged,
        },
      ],
    };
  }
  return { data, problems };
}

function toProblem(error: { code: string; message: string; pos: [number, number] }, text: string): YamlProblem {
  const code = YAML_CODES[error.code] ?? 'E_YAML_SYNTAX';
  const message = code === 'E_YAML_DUPLICATE_KEY' ? duplicateKeyMessage(text, error.pos[0]) : firstLine(error.message);
  return { code, message, offset: error.pos[0] };
}

/**
 * `yaml` only says "Map keys must be unique"; the key itself is what the author needs. The error
 * offset is the start of the repeated key's token: read a quoted scalar to its closing quote, a
 * plain one up to the `:` that ends it.
 */
function duplicateKeyMessage(text: string, offset: number): string {
  const quote = text[offset];
  let key: string;
  if (quote === '"' || quote === "'") {
    const end = text.indexOf(quote, offset + 1);
    key = end < 0 ? '' : text.slice(offset + 1, end);
  } else {
    const line = text.slice(offset, (text.indexOf('\n', offset) + 1 || text.length + 1) - 1);
    key = (/^(.*?):(\s|$)/.exec(line)?.[1] ?? line).trim();
  }
  const shown = key.length > 0 && key.length <= 80 ? ` '${key}'` : '';
  return `duplicate key${shown}: a mapping has this key twice (the later value would silently win).`;
}

/**
 * JSON pointer, relative to `value`, of the first value that JSON could not hold (Buffer, Map, Set,
 * Date, …). Pointers are only built on the way out of a hit: the happy path allocates no strings.
 */
function findNonPlainValue(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function' ? '' : undefined;
  }
  if (depth > 64) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNonPlainValue(value[i], depth + 1);
      if (found !== undefined) return `/${i}${found}`;
    }
    return undefined;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return '';
  for (const key in value) {
    const found = findNonPlainValue((value as Record<string, unknown>)[key], depth + 1);
    if (found !== undefined) return `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}${found}`;
  }
  return undefined;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}
