/** Fixed inputs of the bundle conformance vectors (see README.md). */
export const VECTORS = {
  commit: 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00',
  serial: 42,
  createdAt: '2026-01-01T00:00:00.000Z',
  expires: '2026-01-31T00:00:00.000Z',
  /** A verification time inside the validity window. */
  now: '2026-01-15T12:00:00.000Z',
} as const;
