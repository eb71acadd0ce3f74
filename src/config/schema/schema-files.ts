import { SCHEMAS } from './resources.ts';

/**
 * The text of every file under `schemas/`: `<name>.schema.json` → pretty JSON. The TypeScript
 * definitions are the source; `npm run schemas` writes these files for editors, and a test fails when
 * they drift apart.
 */
export function schemaFiles(): Map<string, string> {
  return new Map(
    Object.entries(SCHEMAS).map(([name, schema]) => [`${name}.schema.json`, `${JSON.stringify(schema, null, 2)}\n`]),
  );
}
