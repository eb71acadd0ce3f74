/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * The signed part of a manifest and the whole payload are serialised with this, so that the bytes
 * depend only on the value: object members sorted by their UTF-16 code units, no insignificant
 * whitespace, numbers in ECMAScript `Number.prototype.toString` form, strings with the minimal JSON
 * escapes. Values JSON cannot represent faithfully (non-finite numbers, lone surrogates, undefined,
 * functions, bigint, cycles) are refused instead of being silently dropped or altered.
 */

/** A JSON value as produced by the strict parser and accepted by `canonicalize`. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Thrown by `canonicalize` for a value that has no canonical JSON form. */
export class CanonicalJsonError extends Error {
  override name = 'CanonicalJsonError';
  /** JSON pointer of the offending value. */
  readonly pointer: string;
  constructor(message: string, pointer: string) {
    super(`${message} at ${pointer === '' ? '(root)' : pointer}`);
    this.pointer = pointer;
  }
}

// A lone surrogate is not a Unicode scalar value; RFC 8785 §3.2.2.2 requires well-formed strings.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function serialiseString(value: string, pointer: string): string {
  if (LONE_SURROGATE.test(value)) throw new CanonicalJsonError('string contains a lone surrogate', pointer);
  // JSON.stringify of a well-formed string produces exactly the JCS escapes (ECMA-262 QuoteJSONString).
  return JSON.stringify(value);
}

function write(value: unknown, pointer: string, out: string[], stack: Set<object>): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError('number is not finite', pointer);
      // ECMAScript number serialisation is what RFC 8785 §3.2.2.3 prescribes; -0 becomes 0.
      out.push(JSON.stringify(value));
      return;
    case 'string':
      out.push(serialiseString(value, pointer));
      return;
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`${typeof value} has no JSON form`, pointer);
  }
  const object = value as object;
  if (stack.has(object)) throw new CanonicalJsonError('value is cyclic', pointer);
  stack.add(object);
  if (Array.isArray(object)) {
    out.push('[');
    for (let i = 0; i < object.length; i++) {
      if (i > 0) out.push(',');
      write(object[i], `${pointer}/${i}`, out, stack);
    }
    out.push(']');
  } else {
    const proto = Object.getPrototypeOf(object) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalJsonError('only plain objects and arrays are JSON', pointer);
    }
    const record = object as Record<string, unknown>;
    // Default sort compares UTF-16 code units, exactly the order RFC 8785 §3.2.3 requires.
    const keys = Object.keys(record).sort();
    out.push('{');
    let first = true;
    for (const key of keys) {
      const member = record[key];
      const memberPointer = `${pointer}/${escapePointer(key)}`;
      if (member === undefined) throw new CanonicalJsonError('undefined has no JSON form', memberPointer);
      if (!first) out.push(',');
      first = false;
      out.push(serialiseString(key, memberPointer), ':');
      write(member, memberPointer, out, stack);
    }
    out.push('}');
  }
  stack.delete(object);
}

/**
 * Serialises a JSON value as RFC 8785 canonical JSON text.
 * @throws CanonicalJsonError when the value has no faithful JSON form (the error names the JSON pointer).
 */
export function canonicalize(value: unknown): string {
  const out: string[] = [];
  write(value, '', out, new Set());
  return out.join('');
}

/** `canonicalize` encoded as UTF-8 bytes: what is hashed, signed and published. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}
