import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, parse, parseDocument } from 'yaml';
import type { Checked, Diagnostic } from '../diagnostics.ts';

function fail(file: string, code: string, message: string, hint: string): Checked<string> {
  const error: Diagnostic = { code, severity: 'error', message, hint, file, line: 1, col: 1 };
  return { value: undefined, errors: [error], warnings: [] };
}

/**
 * Sets one existing scalar (`path`, e.g. `['percent']`) in a YAML file, keeping every comment, key
 * order and formatting: only the value token is rewritten, located with the `yaml` Document API.
 * The result is re-parsed and compared with the intended data; any other difference is refused
 * (E_PROPOSE_EDIT), so a proposal can never change more than it says.
 */
export function setScalar(
  source: string,
  path: string[],
  value: string | number | boolean,
  file: string,
): Checked<string> {
  const doc = parseDocument(source);
  if (doc.errors.length > 0 || !isMap(doc.contents))
    return fail(
      file,
      'E_PROPOSE_PARSE',
      `${file} is not a valid YAML mapping`,
      'run `switchyard validate` and fix the file first',
    );
  const node = doc.getIn(path, true);
  const dotted = path.join('.');
  if (!isScalar(node) || !node.range)
    return fail(file, 'E_PROPOSE_EDIT', `${dotted} in ${file} is not a plain value`, `set ${dotted} by hand`);
  const [start, end] = node.range;
  const token =
    typeof value === 'string' && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value) ? JSON.stringify(value) : String(value);
  const text = `${source.slice(0, start)}${token}${source.slice(end)}`;
  const expected = structuredClone(parse(source)) as Record<string, unknown>;
  let cursor = expected;
  for (const key of path.slice(0, -1)) cursor = cursor[key] as Record<string, unknown>;
  cursor[path.at(-1)!] = value;
  if (!isDeepStrictEqual(parse(text), expected)) {
    return fail(
      file,
      'E_PROPOSE_EDIT',
      `editing ${dotted} in ${file} would change other values`,
      `set ${dotted} by hand`,
    );
  }
  return { value: text, errors: [], warnings: [] };
}
