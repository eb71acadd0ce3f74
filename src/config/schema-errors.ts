import type { ErrorObject } from 'ajv';
import type { Code } from './codes.ts';
import type { Diagnostic } from './diagnostics.ts';
import { didYouMean } from './did-you-mean.ts';
import type { YamlFile } from './yaml-file.ts';

/** `/variants/control/weight` → `variants.control.weight` (how authors think of the path). */
export function dotted(pointer: string): string {
  if (pointer === '') return 'the top level';
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

const escapeSegment = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

const describe = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'a list'
      : typeof value === 'object'
        ? 'a mapping'
        : `${typeof value} ${JSON.stringify(value)}`;

/**
 * Turns ajv's errors into diagnostics at the YAML node they concern: one diagnostic per real problem
 * (ajv's bookkeeping errors for `if`/`anyOf`/`propertyNames` are folded into the errors they explain).
 */
export function schemaDiagnostics(file: Pick<YamlFile, 'diagnostic'>, errors: ErrorObject[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath);
  for (const error of errors) {
    if (error.keyword === 'if' || error.keyword === 'propertyNames') continue;
    if (anyOfPaths.some((path) => error.schemaPath !== path && error.schemaPath.startsWith(`${path}/`))) continue;
    const diagnostic = toDiagnostic(file, error);
    if (
      !out.some(
        (d) => d.code === diagnostic.code && d.pointer === diagnostic.pointer && d.message === diagnostic.message,
      )
    )
      out.push(diagnostic);
  }
  return out;
}

function toDiagnostic(file: Pick<YamlFile, 'diagnostic'>, error: ErrorObject): Diagnostic {
  const pointer = error.instancePath;
  const where = dotted(pointer);
  const params = error.params as Record<string, unknown>;
  const parent = (error.parentSchema ?? {}) as {
    properties?: Record<string, unknown>;
    enum?: unknown[];
    description?: string;
  };
  const propertyName = (error as ErrorObject & { propertyName?: string }).propertyName;

  if (propertyName !== undefined) {
    return file.diagnostic(
      'E_BAD_NAME',
      `${pointer}/${escapeSegment(propertyName)}`,
      `key '${propertyName}' in ${where} is not a valid name (${String(params.pattern)}).`,
      { key: true },
    );
  }
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const suggestion = didYouMean(key, Object.keys(parent.properties ?? {}));
      return file.diagnostic('E_UNKNOWN_KEY', `${pointer}/${escapeSegment(key)}`, `unknown key '${key}' in ${where}.`, {
        key: true,
        hint: suggestion
          ? `Did you mean '${suggestion}'?`
          : `Allowed keys: ${Object.keys(parent.properties ?? {}).join(', ')}.`,
      });
    }
    case 'false schema':
      return file.diagnostic('E_UNKNOWN_KEY', pointer, `${where} is not allowed here.`, {
        key: true,
        hint: 'Remove the key.',
      });
    case 'required': {
      const key = String(params.missingProperty);
      return file.diagnostic('E_MISSING_KEY', pointer, `missing required key '${key}' in ${where}.`, {
        hint: `Add '${key}:' (see docs/resources.md).`,
      });
    }
    case 'anyOf': {
      const branches = (error.schema as Array<{ required?: string[] }> | undefined) ?? [];
      const keys = branches.flatMap((branch) => branch.required ?? []);
      if (keys.length === branches.length) {
        return file.diagnostic('E_MISSING_KEY', pointer, `${where} needs one of the keys: ${keys.join(', ')}.`, {
          hint: `Add ${keys.map((k) => `'${k}'`).join(' or ')}.`,
        });
      }
      break;
    }
    case 'type':
      return file.diagnostic(
        'E_TYPE',
        pointer,
        `${where} must be ${String(params.type).replace(/,/g, ' or ')}, not ${describe(error.data)}.`,
      );
    case 'enum':
    case 'const': {
      const allowed = (
        error.keyword === 'const'
          ? [params.allowedValue]
          : ((params.allowedValues as unknown[] | undefined) ?? parent.enum ?? [])
      ).map(String);
      const value = String(error.data);
      const suggestion = didYouMean(value, allowed);
      const isAssertion = /\/assert\/\d+\/type$/.test(pointer);
      const code: Code = isAssertion ? 'E_ASSERTION_TYPE' : 'E_ENUM';
      const list = allowed.length <= 8 ? ` (one of: ${allowed.join(', ')})` : '';
      const message = isAssertion
        ? `'${value}' is not a promptfoo assertion type.`
        : `${where} is ${describe(error.data)}; expected${list || ' one of the allowed values'}.`;
      return file.diagnostic(code, pointer, message, suggestion ? { hint: `Did you mean '${suggestion}'?` } : {});
    }
    case 'pattern': {
      if (error.schemaPath.includes('/$defs/snapshot/')) {
        return file.diagnostic(
          'E_FLOATING_SNAPSHOT',
          pointer,
          `${where} '${String(error.data)}' is not a dated snapshot.`,
        );
      }
      if (error.schemaPath.includes('/$defs/name/')) {
        return file.diagnostic('E_BAD_NAME', pointer, `${where} '${String(error.data)}' is not a valid name.`);
      }
      return file.diagnostic(
        'E_SCHEMA',
        pointer,
        `${where} '${String(error.data)}' must match ${String(params.pattern)}.`,
      );
    }
    default:
      break;
  }
  return file.diagnostic('E_SCHEMA', pointer, `${where} ${error.message ?? 'is invalid'}.`);
}
