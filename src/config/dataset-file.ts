import type { Diagnostic } from './diagnostics.ts';
import type { DatasetRow } from './types.ts';
import { makeDiagnostic } from './make-diagnostic.ts';
import { runSchema } from './schema/validators.ts';
import type { Code } from './codes.ts';
import { jsonErrorOffset } from './json-error-offset.ts';
import { dotted } from './schema-errors.ts';

/** A parsed `datasets/<name>.jsonl`: rows plus the line each came from (for positions). */
export interface DatasetFile {
  path: string;
  rows: DatasetRow[];
  /** 1-based line of each row. */
  lines: number[];
  /** Source text of each row's line (to find a key's column). */
  texts: string[];
  /** Rows that passed the schema (by index). */
  valid: boolean[];
}

/** Diagnostic at a row of a dataset, pointing at `key` in the line when it appears there. */
export function rowDiagnostic(file: DatasetFile, index: number, code: Code, message: string, key?: string): Diagnostic {
  const line = file.lines[index] ?? 1;
  const text = file.texts[index] ?? '';
  const found = key !== undefined ? text.indexOf(`"${key}"`) : -1;
  return makeDiagnostic(code, file.path, message, {
    line,
    col: found >= 0 ? found + 1 : 1,
    pointer: `/${index}${key !== undefined ? `/${key}` : ''}`,
  });
}

/** Parses and schema-checks JSONL: one JSON object per non-blank line. */
export function parseDataset(path: string, text: string): { file: DatasetFile; problems: Diagnostic[] } {
  const file: DatasetFile = { path, rows: [], lines: [], texts: [], valid: [] };
  const problems: Diagnostic[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').replace(/\r$/, '');
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      const col = jsonErrorOffset(raw) + 1;
      problems.push(
        makeDiagnostic(
          'E_JSONL_SYNTAX',
          path,
          `line ${i + 1} is not valid JSON: ${(error as Error).message.split('\n')[0]}.`,
          { line: i + 1, col },
        ),
      );
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(
        makeDiagnostic('E_JSONL_SYNTAX', path, `line ${i + 1} is not a JSON object.`, { line: i + 1, col: 1 }),
      );
      continue;
    }
    const index = file.rows.length;
    file.rows.push(value as DatasetRow);
    file.lines.push(i + 1);
    file.texts.push(raw);
    const errors = runSchema('dataset-row', value);
    file.valid.push(errors.length === 0);
    for (const error of errors) {
      if (error.keyword === 'required' && error.schemaPath.includes('/anyOf/')) continue;
      const segments = error.instancePath.split('/').filter(Boolean);
      const extra =
        error.keyword === 'additionalProperties'
          ? String((error.params as { additionalProperty: string }).additionalProperty)
          : undefined;
      const key = extra ?? segments[0];
      const code: Code =
        error.keyword === 'additionalProperties'
          ? 'E_UNKNOWN_KEY'
          : error.keyword === 'required' || error.keyword === 'anyOf'
            ? 'E_MISSING_KEY'
            : error.keyword === 'type'
              ? 'E_TYPE'
              : error.schemaPath.includes('/$defs/name/')
                ? 'E_BAD_NAME'
                : 'E_SCHEMA';
      const what =
        extra !== undefined
          ? `unknown key '${extra}'`
          : error.keyword === 'anyOf'
            ? 'needs one of the keys: vars, input'
            : `${dotted(error.instancePath)} ${error.message ?? 'is invalid'}`;
      problems.push(rowDiagnostic(file, index, code, `row ${index + 1}: ${what}.`, key));
    }
  }
  return { file, problems };
}
