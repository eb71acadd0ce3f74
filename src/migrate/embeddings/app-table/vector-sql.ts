/**
 * Vectors in the application's columns: pgvector `vector(n)`, `real[]`, `double precision[]` or
 * `jsonb` arrays. How each is written, read back as `float8[]` and measured.
 */

/** The kinds of column a vector may live in. */
export type VectorColumnKind = 'pgvector' | 'real[]' | 'float8[]' | 'jsonb';

/** The kind of a column from its `format_type`, and the dimension a `vector(n)` declares; undefined when no vector fits. */
export function vectorColumnKind(type: string): { kind: VectorColumnKind; dimension?: number } | undefined {
  const declared = /^vector\((\d+)\)$/.exec(type);
  if (declared) return { kind: 'pgvector', dimension: Number(declared[1]) };
  if (type === 'vector') return { kind: 'pgvector' };
  if (type === 'real[]') return { kind: 'real[]' };
  if (type === 'double precision[]') return { kind: 'float8[]' };
  if (type === 'jsonb') return { kind: 'jsonb' };
  return undefined;
}

const CASTS: Record<VectorColumnKind, string> = {
  pgvector: 'vector',
  'real[]': 'real[]',
  'float8[]': 'float8[]',
  jsonb: 'jsonb',
};

/** The SQL type a parameter is cast to before it is stored in a column of `kind`. */
export const castOf = (kind: VectorColumnKind): string => CASTS[kind];

/** The parameter text of a vector for a column of `kind`. */
export function vectorParam(vector: ArrayLike<number>, kind: VectorColumnKind): string {
  const parts = Array.from(vector, (x) => (Number.isFinite(x) ? String(x) : '0'));
  if (kind === 'pgvector' || kind === 'jsonb') return `[${parts.join(',')}]`;
  return `{${parts.join(',')}}`;
}

/** An expression reading the (quoted) column as `float8[]`. */
export function asFloat8(column: string, kind: VectorColumnKind): string {
  switch (kind) {
    case 'pgvector':
      return `${column}::real[]::float8[]`;
    case 'real[]':
      return `${column}::float8[]`;
    case 'float8[]':
      return column;
    case 'jsonb':
      return `ARRAY(SELECT jsonb_array_elements_text(${column})::float8)`;
  }
}

/** An expression for the number of dimensions stored in the (quoted) column. */
export function dimsOf(column: string, kind: VectorColumnKind): string {
  if (kind === 'pgvector') return `vector_dims(${column})`;
  if (kind === 'jsonb') return `jsonb_array_length(${column})`;
  return `cardinality(${column})`;
}
