import type { Diagnostic } from './diagnostics.ts';
import { makeDiagnostic } from './make-diagnostic.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes → text, refusing binary files and invalid UTF-8 rather than guessing (a guessed decoding could
 * silently change a prompt). A UTF-8 byte order mark is dropped.
 */
export function decodeText(path: string, bytes: Buffer): { text: string } | { problem: Diagnostic } {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const { line, col } = positionOfByte(bytes, nul);
    return {
      problem: makeDiagnostic('E_BINARY', path, `${path} contains a NUL byte: it is binary, not text.`, { line, col }),
    };
  }
  try {
    return { text: utf8.decode(bytes) };
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const { line, col } = positionOfByte(bytes, offset);
    return {
      problem: makeDiagnostic(
        'E_NOT_UTF8',
        path,
        `${path} is not valid UTF-8 (byte 0x${(bytes[offset] ?? 0).toString(16).padStart(2, '0')} at offset ${offset}).`,
        { line, col },
      ),
    };
  }
}

/** Line and column (1-based, columns in bytes) of a byte offset — only computed for a diagnostic. */
function positionOfByte(bytes: Buffer, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

/** Offset of the first byte that starts an invalid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    const need =
      b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    if (need > 0) {
      try {
        utf8.decode(bytes.subarray(i, i + need + 1));
      } catch {
        return i; // overlong or surrogate encodings
      }
    }
    i += need + 1;
  }
  return Math.max(0, bytes.length - 1);
}
