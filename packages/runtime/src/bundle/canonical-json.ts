/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * The signed part of a manifest and the whole payload are serialised with this, so that the bytes
 * depend only on the value: object members sorted by their UTF-16 code units, no insignificant
 * whitespace, numbers in ECMAScript `Number.prototype.toString` form, strings with the minimal JSON
 * escapes. Values JSON cannot represent faithfully (non-finite numbers, lone surrogates, undefined,
 * functions, bigint, cycles) are refused instead of being silently dropped or altered.
 */

import { SwitchyardError } from '../errors.ts';

/** A JSON value as produced by the strict parser and accepted by `canonicalize`. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Thrown by `canonicalize` for a value that has no canonical JSON form (code `E_CANONICAL_JSON`). */
export class CanonicalJsonError extends SwitchyardError {
  override name = 'CanonicalJsonError';
  /** JSON pointer of the offending value. */
  readonly pointer: string;
  constructor(message: string, pointer: string) {
    super('E_CANONICAL_JSON', `${message} at ${pointer === '' ? '(root)' : pointer}`);
    this.pointer = pointer;
  }
}

// A lone surrogate is not a Unicode scalar value; RFC 8785 §3.2.2.2 requires well-formed strings.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const hasIsWellFormed = typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function';
const isWellFormed = (value: string): boolean =>
  hasIsWellFormed ? (value as string & { isWellFormed(): boolean }).isWellFormed() : !LONE_SURROGATE.test(value);

/** Tracks where the writer is, so that errors name a JSON pointer; the pointer is only built on error. */
class Path {
  readonly segments: Array<string | number> = [];
  readonly open = new Set<object>();
  fail(message: string): never {
    const pointer = this.segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
    throw new CanonicalJsonError(message, pointer);
  }
}

function serialiseString(value: string, path: Path): string {
  if (!isWellFormed(value)) path.fail('string contains a lone surrogate');
  // JSON.stringify of a well-formed string produces exactly the JCS escapes (ECMA-262 QuoteJSONString).
  return JSON.stringify(value);
}

function write(value: unknown, path: Path): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) path.fail('number is not finite');
      // ECMAScript number serialisation is what RFC 8785 §3.2.2.3 prescribes; -0 becomes 0.
      return JSON.stringify(value);
    case 'string':
      return serialiseString(value, path);
    case 'object':
      break;
    default:
      return path.fail(`${typeof value} has no JSON form`);
  }
  const object = value as object;
  if (path.open.has(object)) path.fail('value is cyclic');
  path.open.add(object);
  let out: string;
  if (Array.isArray(object)) {
    out = '[';
    for (let i = 0; i < object.length; i++) {
      path.segments.push(i);
      out += (i > 0 ? ',' : '') + write(object[i], path);
      path.segments.pop();
    }
    out += ']';
  } else {
    const proto = Object.getPrototypeOf(object) as unknown;
    if (proto !== Object.prototype && proto !== null) path.fail('only plain objects and arrays are JSON');
    const record = object as Record<string, unknown>;
    // Default sort compares UTF-16 code units, exactly the order RFC 8785 §3.2.3 requires.
    const keys = Object.keys(record).sort();
    out = '{';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      path.segments.push(key);
      const member = record[key];
      if (member === undefined) path.fail('undefined has no JSON form');
      out += (i > 0 ? ',' : '') + serialiseString(key, path) + ':' + write(member, path);
      path.segments.pop();
    }
    out += '}';
  }
  path.open.delete(object);
  return out;
}

/**
 * Serialises a JSON value as RFC 8785 canonical JSON text.
 * @throws CanonicalJsonError when the value has no faithful JSON form (the error names the JSON pointer).
 */
export function canonicalize(value: unknown): string {
  return write(value, new Path());
}

/** `canonicalize` encoded as UTF-8 bytes: what is hashed, signed and published. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}
