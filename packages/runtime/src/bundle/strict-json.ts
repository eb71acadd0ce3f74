/**
 * A strict JSON parser for untrusted bundle bytes.
 *
 * `JSON.parse` silently keeps the last of two equal member names, so `{"serial": 1, "serial": 9}`
 * would mean different things to different readers; a signed document must have exactly one
 * meaning. This parser follows RFC 8259 and additionally refuses duplicate member names, strings
 * that are not well-formed Unicode (I-JSON, RFC 7493), invalid UTF-8, and nesting deeper than a
 * limit (so hostile input cannot exhaust the stack). It never throws.
 */

import type { JsonValue } from './canonical-json.ts';

export type StrictJsonResult =
  { ok: true; value: JsonValue } | { ok: false; reason: 'not-json' | 'duplicate-key'; message: string };

export interface StrictJsonOptions {
  /** Maximum nesting of arrays and objects (default 64). */
  maxDepth?: number;
}

class ParseFailure {
  readonly reason: 'not-json' | 'duplicate-key';
  readonly message: string;
  constructor(reason: 'not-json' | 'duplicate-key', message: string) {
    this.reason = reason;
    this.message = message;
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class Parser {
  private pos = 0;
  private readonly text: string;
  private readonly maxDepth: number;

  constructor(text: string, maxDepth: number) {
    this.text = text;
    this.maxDepth = maxDepth;
  }

  parseDocument(): JsonValue {
    this.skipWhitespace();
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.pos !== this.text.length) this.fail('unexpected data after the JSON value');
    return value;
  }

  private fail(message: string): never {
    throw new ParseFailure('not-json', `${message} at offset ${this.pos}`);
  }

  private skipWhitespace(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    this.pos = pos;
  }

  private parseValue(depth: number): JsonValue {
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.parseObject(depth + 1);
      case '[':
        return this.parseArray(depth + 1);
      case '"':
        return this.parseString();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      case undefined:
        return this.fail('unexpected end of input');
      default:
        return this.parseNumber();
    }
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail('invalid literal');
    this.pos += word.length;
    return value;
  }

  private parseNumber(): number {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail('unexpected character');
    this.pos += match[0].length;
    const value = Number(match[0]);
    if (!Number.isFinite(value)) this.fail('number out of range');
    return value;
  }

  private parseString(): string {
    const text = this.text;
    let pos = this.pos + 1;
    let result = '';
    let chunkStart = pos;
    for (;;) {
      if (pos >= text.length) {
        this.pos = pos;
        this.fail('unterminated string');
      }
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (c < 0x20) {
        this.pos = pos;
        this.fail('control character in string');
      }
      if (c === 0x5c) {
        result += text.slice(chunkStart, pos);
        const e = text[pos + 1];
        if (e === 'u') {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.pos = pos;
            this.fail('invalid \\u escape');
          }
          result += String.fromCharCode(parseInt(hex, 16));
          pos += 6;
        } else {
          const decoded = e === undefined ? undefined : ESCAPES[e];
          if (decoded === undefined) {
            this.pos = pos;
            this.fail('invalid escape');
          }
          result += decoded;
          pos += 2;
        }
        chunkStart = pos;
        continue;
      }
      pos++;
    }
    result += text.slice(chunkStart, pos);
    this.pos = pos + 1;
    if (LONE_SURROGATE.test(result)) this.fail('string is not well-formed Unicode');
    return result;
  }

  private parseArray(depth: number): JsonValue[] {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
    this.pos++;
    const out: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      out.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return out;
      }
      this.fail("expected ',' or ']'");
    }
  }

  private parseObject(depth: number): { [key: string]: JsonValue } {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
    this.pos++;
    // A null-prototype object: a member named "__proto__" is plain data, never a prototype change.
    const out = Object.create(null) as { [key: string]: JsonValue };
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail('expected a member name');
      const keyAt = this.pos;
      const key = this.parseString();
      if (Object.hasOwn(out, key)) {
        throw new ParseFailure('duplicate-key', `duplicate member name ${JSON.stringify(key)} at offset ${keyAt}`);
      }
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      this.skipWhitespace();
      out[key] = this.parseValue(depth);
      this.skipWhitespace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return out;
      }
      this.fail("expected ',' or '}'");
    }
  }
}

/** Parses JSON text strictly (see the module comment). Never throws. */
export function parseStrictJson(text: string, options: StrictJsonOptions = {}): StrictJsonResult {
  try {
    return { ok: true, value: new Parser(text, options.maxDepth ?? 64).parseDocument() };
  } catch (error) {
    if (error instanceof ParseFailure) return { ok: false, reason: error.reason, message: error.message };
    // Only a RangeError from an engine limit can get here; report it as unparseable, never throw.
    return { ok: false, reason: 'not-json', message: `unparseable: ${(error as Error).message}` };
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 bytes (no BOM allowed, invalid sequences refused) and parses them strictly.
 * Never throws.
 */
export function parseStrictJsonBytes(bytes: Uint8Array, options: StrictJsonOptions = {}): StrictJsonResult {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'not-json', message: 'not valid UTF-8' };
  }
  if (text.charCodeAt(0) === 0xfeff) return { ok: false, reason: 'not-json', message: 'starts with a byte order mark' };
  return parseStrictJson(text, options);
}
