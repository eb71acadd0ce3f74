/**
 * Content identity for cache keys and change detection, on the bundle format's own RFC 8785
 * canonical JSON and SHA-256 (one implementation, in the runtime package). Here an `undefined`
 * member means "absent" (callers blank fields out with `{ ...x, status: undefined }`), so values
 * pass through JSON first, which drops such members as `JSON.stringify` does.
 */
import { canonicalize, sha256Hex } from '../bundle/runtime-format.ts';

function canonicalText(value: unknown): string {
  return canonicalize(value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown));
}

/** Lower-case hex SHA-256 of the value's canonical JSON (UTF-8). */
export function contentKey(value: unknown): string {
  return sha256Hex(new TextEncoder().encode(canonicalText(value)));
}

/** Whether two values have the same content (key order and `undefined` members ignored). */
export function sameContent(a: unknown, b: unknown): boolean {
  return canonicalText(a) === canonicalText(b);
}
