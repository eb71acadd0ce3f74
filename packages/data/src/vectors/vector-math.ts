import { VectorError } from './errors.ts';

/** A vector as the SDK returns it or as a typed array. */
export type VectorLike = ArrayLike<number>;

/**
 * L2-normalises a vector into a new Float32Array. Stored and query vectors are unit length, so
 * the dot product the store ranks by is the cosine similarity on both column types.
 */
export function normalise(vector: VectorLike, dimension: number, what: string): Float32Array {
  if (vector.length !== dimension) {
    throw new VectorError(
      'E_VECTOR_DIMENSION',
      `${what} has ${vector.length} dimensions, the index expects ${dimension}`,
    );
  }
  let norm = 0;
  for (let i = 0; i < vector.length; i++) {
    const v = vector[i]!;
    if (!Number.isFinite(v))
      throw new VectorError('E_VECTOR_VALUE', `${what} contains a non-finite value at position ${i}`);
    norm += v * v;
  }
  if (norm === 0) throw new VectorError('E_VECTOR_VALUE', `${what} is the zero vector (no direction to compare)`);
  const scale = 1 / Math.sqrt(norm);
  const out = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! * scale;
  return out;
}

/**
 * The text literal of a unit vector: `[a,b]` for pgvector, `{a,b}` for `real[]`. Nine decimals:
 * components of a unit vector lie in [-1, 1], so the absolute error is at most 5e-10 per component
 * (below float32 resolution for all but tiny components, and far below anything that moves a
 * cosine), and `toFixed` is about twice as fast as round-tripping with `toPrecision` — formatting
 * is a visible share of a backfill's CPU (bench:migrate).
 */
export function vectorLiteral(vector: Float32Array, type: 'pgvector' | 'real[]'): string {
  const parts = new Array<string>(vector.length);
  for (let i = 0; i < vector.length; i++) parts[i] = vector[i]!.toFixed(9);
  return type === 'pgvector' ? `[${parts.join(',')}]` : `{${parts.join(',')}}`;
}

/**
 * Cosine similarity of two vectors (0 when either is zero). Vectors of different lengths are
 * compared over the shorter one, so a malformed embedding scores low instead of producing NaN.
 */
export function cosine(a: VectorLike, b: VectorLike): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
