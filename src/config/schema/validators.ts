import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { SCHEMAS, type SchemaName } from './resources.ts';

/** The validator options; exported for the test that compiles every schema with meta-schema checks on. */
export const AJV_OPTIONS = {
  strict: true,
  strictRequired: false,
  allErrors: true,
  verbose: true,
  allowUnionTypes: true,
  validateSchema: false,
  code: { optimize: false },
} as const;

let ajv: Ajv2020 | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();

/**
 * Compiled validators, each built on first use and kept for the process (compiling is most of
 * ajv's cost; a repository without migrations never compiles those schemas): ajv in strict mode
 * (unknown schema keywords are schema bugs; only `strictRequired` is off, because `if/then` and
 * `anyOf` require properties declared one level up), all errors (so one run reports everything),
 * verbose (the failing schema is needed for "did you mean" hints). Compile time is cut where it buys
 * nothing at run time: the schemas are checked against the 2020-12 meta-schema by a test
 * (test/config/schema-meta.test.ts) rather than on every start, and the generated code skips ajv's
 * optimisation pass (validating is ~1 % of loading; compiling was ~10 % of a small repo's run).
 */
export function validatorFor(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    const schema = (SCHEMAS as Record<string, object | undefined>)[name];
    if (!schema) throw new Error(`no schema named ${name}`);
    ajv ??= new Ajv2020(AJV_OPTIONS);
    validate = ajv.compile(schema);
    compiled.set(name, validate);
  }
  return validate;
}

/** Runs one schema; returns ajv's errors (empty when valid). */
export function runSchema(name: SchemaName, data: unknown): ErrorObject[] {
  const validate = validatorFor(name);
  return validate(data) ? [] : [...(validate.errors ?? [])];
}
