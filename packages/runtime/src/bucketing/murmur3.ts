/**
 * MurmurHash3 x86_32 over the UTF-8 bytes of a JavaScript string.
 *
 * The hot path hashes `seed + "|" + unitKey` for a seed that is fixed per flag or experiment, so the
 * prefix is hashed once ({@link createHashPrefix}) and each call only feeds the unit key, encoding
 * UTF-8 on the fly: no string concatenation, no Buffer, no closure per call.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** The hash state after the bytes of a prefix: complete blocks mixed in, 0–3 pending tail bytes. */
export interface HashPrefix {
  readonly h: number;
  readonly tail: number;
  readonly tailLen: number;
  readonly length: number;
}

/** MurmurHash3 x86_32 of raw bytes (the textbook algorithm; used to precompute prefixes and in tests). */
export function murmur3(bytes: Uint8Array, seed = 0): number {
  const state = feedBytes({ h: seed | 0, tail: 0, tailLen: 0, length: 0 }, bytes);
  return finish(state.h, state.tail, state.tailLen, state.length);
}

/** Precomputes the state after hashing the UTF-8 bytes of `prefix` with seed 0. */
export function createHashPrefix(prefix: string): HashPrefix {
  return Object.freeze(feedBytes({ h: 0, tail: 0, tailLen: 0, length: 0 }, new TextEncoder().encode(prefix)));
}

/** murmur3_x86_32(utf8(prefix + key), 0) as an unsigned 32-bit integer, given the prefix state. */
export function hashWithPrefix(prefix: HashPrefix, key: string): number {
  let h = prefix.h;
  let k = prefix.tail;
  let n = prefix.tailLen;
  let length = prefix.length;
  const size = key.length;
  for (let i = 0; i < size; i++) {
    const c = key.charCodeAt(i);
    // Up to four UTF-8 bytes packed little-endian into `bytes`; `count` of them are valid.
    let bytes: number;
    let count: number;
    if (c < 0x80) {
      bytes = c;
      count = 1;
    } else if (c < 0x800) {
      bytes = 0xc0 | (c >> 6) | ((0x80 | (c & 0x3f)) << 8);
      count = 2;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < size && (key.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (key.charCodeAt(i + 1) - 0xdc00);
      i++;
      bytes =
        0xf0 |
        (cp >> 18) |
        ((0x80 | ((cp >> 12) & 0x3f)) << 8) |
        ((0x80 | ((cp >> 6) & 0x3f)) << 16) |
        ((0x80 | (cp & 0x3f)) << 24);
      count = 4;
    } else {
      // A lone surrogate encodes as U+FFFD, exactly like TextEncoder and Buffer.from(…, 'utf8').
      const cp = c >= 0xd800 && c <= 0xdfff ? 0xfffd : c;
      bytes = 0xe0 | (cp >> 12) | ((0x80 | ((cp >> 6) & 0x3f)) << 8) | ((0x80 | (cp & 0x3f)) << 16);
      count = 3;
    }
    length += count;
    for (let j = 0; j < count; j++) {
      k |= (bytes & 0xff) << (n << 3);
      bytes >>>= 8;
      if (++n === 4) {
        k = Math.imul(k, C1);
        k = (k << 15) | (k >>> 17);
        h ^= Math.imul(k, C2);
        h = (h << 13) | (h >>> 19);
        h = (Math.imul(h, 5) + 0xe6546b64) | 0;
        k = 0;
        n = 0;
      }
    }
  }
  return finish(h, k, n, length);
}

function feedBytes(state: { h: number; tail: number; tailLen: number; length: number }, bytes: Uint8Array) {
  let { h, tail: k, tailLen: n } = state;
  for (let i = 0; i < bytes.length; i++) {
    k |= (bytes[i] as number) << (n << 3);
    if (++n === 4) {
      k = Math.imul(k, C1);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, C2);
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
      k = 0;
      n = 0;
    }
  }
  return { h, tail: k, tailLen: n, length: state.length + bytes.length };
}

function finish(h: number, k: number, n: number, length: number): number {
  if (n > 0) {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
