import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { SCHEMAS } from '../../src/config/index.ts';
import { AJV_OPTIONS, validatorFor } from '../../src/config/schema/validators.ts';

// The loader compiles without meta-schema validation (start-up time); this is where it happens.
describe('schemas against the JSON Schema 2020-12 meta-schema', () => {
  const ajv = new Ajv2020({ ...AJV_OPTIONS, validateSchema: true });

  it.each(Object.entries(SCHEMAS))('%s is a valid 2020-12 schema and compiles in strict mode', (name, schema) => {
    expect(ajv.validateSchema(schema), `${name}: ${ajv.errorsText(ajv.errors)}`).toBe(true);
    expect(() => ajv.compile(schema)).not.toThrow();
    expect(typeof validatorFor(name as keyof typeof SCHEMAS)).toBe('function');
  });

  it('the meta-schema check would catch a broken schema', () => {
    expect(
      ajv.validateSchema({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { a: { type: 'strnig' } },
      }),
    ).toBe(false);
    expect(
      ajv.validateSchema({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', required: 'a' }),
    ).toBe(false);
  });

  it('the loader still compiles in strict mode (unknown keywords are schema bugs)', () => {
    expect(() => new Ajv2020(AJV_OPTIONS).compile({ type: 'object', descripton: 'typo' })).toThrow(/unknown keyword/);
  });
});
