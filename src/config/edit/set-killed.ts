/**
 * The kill switch as a YAML edit: `killed: true` on one flag, keeping every comment, key order and
 * formatting of the file (the change a reviewer sees in `git diff` is one line). Pure: text in, text out.
 */
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, parse, parseDocument } from 'yaml';
import type { Checked, Diagnostic } from '../diagnostics.ts';

/** Resource kinds that carry a kill switch. */
export const KILLABLE_KINDS = ['Flag', 'ModelRollout', 'Canary'] as const;

export interface KillEdit {
  /** The new file text. */
  text: string;
  /** False when the flag was already killed (the edit is then a no-op). */
  changed: boolean;
  /** Dotted path that was set, e.g. `killed` or `environments.production.killed`. */
  path: string;
}

export interface KillOptions {
  /** Repo-relative path, for diagnostics. */
  file: string;
  /** Kill only in this environment (`environments.<env>.killed: true`); default: everywhere. */
  env?: string;
  /** `false` revives the flag; the usual way back is `git revert` of the kill commit. */
  killed?: boolean;
}

function fail(file: string, code: string, message: string, hint: string): Checked<KillEdit> {
  const error: Diagnostic = { code, severity: 'error', message, hint, file, line: 1, col: 1 };
  return { value: undefined, errors: [error], warnings: [] };
}

/**
 * Sets `killed` on a rollout file. When the key exists only its value token is rewritten in place;
 * otherwise the key is inserted with the `yaml` Document API. Either way the result is re-parsed and
 * compared with the original: anything but the one intended value changing is refused (E_KILL_EDIT).
 */
export function setKilled(source: string, options: KillOptions): Checked<KillEdit> {
  const { file } = options;
  const killed = options.killed ?? true;
  const doc = parseDocument(source, { keepSourceTokens: false });
  if (doc.errors.length > 0 || !isMap(doc.contents)) {
    return fail(
      file,
      'E_KILL_PARSE',
      `${file} is not a valid YAML mapping`,
      'run `switchyard validate` and fix the file first',
    );
  }
  const kind = doc.get('kind');
  if (!KILLABLE_KINDS.includes(kind as (typeof KILLABLE_KINDS)[number])) {
    return fail(
      file,
      'E_KILL_NOT_A_FLAG',
      `${file} is a ${String(kind)}, which has no kill switch`,
      `only ${KILLABLE_KINDS.join(', ')} resources can be killed; roll a migration back by moving its phase back`,
    );
  }
  const path = options.env ? ['environments', options.env, 'killed'] : ['killed'];
  const dotted = path.join('.');
  const before: unknown = parse(source);
  const current = doc.getIn(path, true);

  // The kill switch is global (an environment override can kill, never revive), so reviving one
  // environment means removing its `killed` override, and is refused while the flag is killed everywhere.
  if (!killed && options.env) {
    if (doc.get('killed') === true) {
      return fail(
        file,
        'E_KILL_GLOBAL',
        `${file} is killed everywhere; an environment override cannot revive it`,
        'revive without --env (or git revert the kill commit)',
      );
    }
    if (current === undefined)
      return { value: { text: source, changed: false, path: dotted }, errors: [], warnings: [] };
    doc.deleteIn(path);
    const text = doc.toString({ lineWidth: 0, flowCollectionPadding: false });
    const expected = structuredClone(before) as { environments: Record<string, Record<string, unknown>> };
    delete expected.environments[options.env]?.killed;
    if (!isDeepStrictEqual(parse(text), expected)) {
      return fail(
        file,
        'E_KILL_EDIT',
        `removing ${dotted} in ${file} would change other values`,
        `delete ${dotted} by hand`,
      );
    }
    return { value: { text, changed: true, path: dotted }, errors: [], warnings: [] };
  }

  let text: string;
  if (isScalar(current) && current.range) {
    if (current.value === killed)
      return { value: { text: source, changed: false, path: dotted }, errors: [], warnings: [] };
    const [start, end] = current.range;
    text = `${source.slice(0, start)}${String(killed)}${source.slice(end)}`;
  } else {
    if (current !== undefined) {
      return fail(file, 'E_KILL_EDIT', `${dotted} in ${file} is not a plain value`, `set ${dotted}: ${killed} by hand`);
    }
    if (!killed) return { value: { text: source, changed: false, path: dotted }, errors: [], warnings: [] };
    doc.setIn(path, killed);
    text = doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  }

  const expected = structuredClone(before) as Record<string, unknown>;
  let cursor = expected;
  for (const key of path.slice(0, -1)) {
    cursor[key] ??= {};
    cursor = cursor[key] as Record<string, unknown>;
  }
  cursor[path.at(-1) as string] = killed;
  if (!isDeepStrictEqual(parse(text), expected)) {
    return fail(
      file,
      'E_KILL_EDIT',
      `editing ${dotted} in ${file} would change other values`,
      `set ${dotted}: ${killed} by hand`,
    );
  }
  return { value: { text, changed: true, path: dotted }, errors: [], warnings: [] };
}
