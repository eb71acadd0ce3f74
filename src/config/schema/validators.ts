import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { SCHEMAS, type SchemaName } from './resources.ts';

let compiled: Map<SchemaName, ValidateFunction> | undefined;

/**
 * Compiled validators, built once per process: ajv in strict mode (unknown schema keywords are
 * schema bugs; only `strictRequired` is off, because `if/then` and `anyOf` require properties declared
 * one level up), all errors (so one run reports everything), verbose (the failing schema is needed
 * for "did you mean" hints).
 */
export function validatorFor(name: SchemaName): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true, verbose: true, allowUnionTypes: true });
    compiled = new Map();
    for (const [key, schema] of Object.entries(SCHEMAS) as Array<[SchemaName, object]>) {
      compiled.set(key, ajv.compile(schema));
    }
  }
  const validate = compiled.get(name);
  if (!validate) throw new Error(`no schema named ${name}`);
  return validate;
}

/** Runs one schema; returns ajv's errors (empty when valid). */
export function runSchema(name: SchemaName, data: unknown): ErrorObject[] {
  const validate = validatorFor(name);
  return validate(data) ? [] : [...(validate.errors ?? [])];
}
