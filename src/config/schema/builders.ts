/**
 * Small builders for the JSON Schemas in `schemas/`. They exist so every schema states
 * `additionalProperties: false` and a description for every property without repeating it by hand.
 */

export type JsonSchema = Record<string, unknown>;

/** Schema draft every Switchyard schema declares. */
export const DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** Stable `$id` base. The schemas are also shipped as files under `schemas/` for editors. */
export const ID_BASE = 'https://switchyard.dev/schemas/v1/';

export const NAME_PATTERN = '^[a-z0-9][a-z0-9_-]*$';
/** Dated snapshots: `gpt-4o-2024-08-06`, `claude-3-5-sonnet-20241022`, `gpt-4-0613`. */
export const SNAPSHOT_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:/-]*-(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{8}|[0-9]{4})$';
export const VARIABLE_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
/** A SQL identifier Switchyard accepts (PostgreSQL's unquoted lower-case form, at most 63 characters). */
export const IDENTIFIER_PATTERN_BODY = '[a-z_][a-z0-9_]{0,62}';
export const IDENTIFIER_PATTERN = `^${IDENTIFIER_PATTERN_BODY}$`;

export const str = (description: string, extra: JsonSchema = {}): JsonSchema => ({
  type: 'string',
  description,
  ...extra,
});
export const int = (description: string, minimum?: number, maximum?: number): JsonSchema => ({
  type: 'integer',
  description,
  ...(minimum !== undefined ? { minimum } : {}),
  ...(maximum !== undefined ? { maximum } : {}),
});
export const num = (description: string, minimum?: number, maximum?: number): JsonSchema => ({
  type: 'number',
  description,
  ...(minimum !== undefined ? { minimum } : {}),
  ...(maximum !== undefined ? { maximum } : {}),
});
export const bool = (description: string): JsonSchema => ({ type: 'boolean', description });
export const ref = (def: string, description: string): JsonSchema => ({ $ref: `#/$defs/${def}`, description });
export const arr = (description: string, items: JsonSchema, extra: JsonSchema = {}): JsonSchema => ({
  type: 'array',
  description,
  items,
  ...extra,
});
export const enumOf = (description: string, values: readonly string[]): JsonSchema => ({
  type: 'string',
  description,
  enum: [...values],
});

/** A structural object: fixed keys, no others. */
export const obj = (
  description: string,
  properties: Record<string, JsonSchema>,
  required: readonly string[] = [],
  extra: JsonSchema = {},
): JsonSchema => ({
  type: 'object',
  description,
  properties,
  required: [...required],
  additionalProperties: false,
  ...extra,
});

/** A map keyed by names (environments, variants, vars): the keys are data, the values have a schema. */
export const mapOf = (
  description: string,
  keyPattern: string,
  values: JsonSchema,
  extra: JsonSchema = {},
): JsonSchema => ({
  type: 'object',
  description,
  propertyNames: { pattern: keyPattern },
  additionalProperties: values,
  ...extra,
});

/** Wraps a top-level resource schema with the dialect, `$id`, title and shared `$defs`. */
export function document(
  kind: string,
  title: string,
  description: string,
  body: JsonSchema,
  defs: Record<string, JsonSchema>,
): JsonSchema {
  return {
    $schema: DIALECT,
    $id: `${ID_BASE}${kind}.schema.json`,
    title,
    description,
    ...body,
    $defs: defs,
  };
}
