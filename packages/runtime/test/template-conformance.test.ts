/**
 * The shared template vectors (test/conformance/templates.json): the runtime renders each case to
 * the expected text and missing names. test/eval/template-conformance.test.ts checks that the
 * evaluator sends the same text to the model through promptfoo.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileTemplate, invalidPlaceholdersIn, placeholdersIn, renderTemplate } from '../src/tools.ts';

interface Vector {
  name: string;
  template: string;
  vars: Record<string, unknown>;
  rendered: string;
  missing: string[];
  invalid: string[];
}
const { cases } = JSON.parse(
  readFileSync(new URL('../../../test/conformance/templates.json', import.meta.url), 'utf8'),
) as { cases: Vector[] };

describe('template conformance vectors (runtime)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const missing: string[] = [];
    expect(renderTemplate(compileTemplate(c.template), c.vars, missing)).toBe(c.rendered);
    expect(missing).toEqual(c.missing);
    expect(invalidPlaceholdersIn(c.template)).toEqual(c.invalid);
    // Every name the renderer looks up is a placeholder validate sees, and only those.
    expect(placeholdersIn(c.template)).toEqual([...new Set(compileTemplate(c.template).vars)]);
  });
});
