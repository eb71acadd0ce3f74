/**
 * `tests.cases: file://<path>`: a prompt version's cases kept in a file of their own, as promptfoo's
 * `tests: file://tests.yaml`. The loader reads the file from the side it loads (working tree or a
 * commit's tree, `repo-reader.ts`), checks every case against the same schema as inline cases with
 * diagnostics at the referenced file's line:col, and puts the cases in place, so everything after
 * loading (checks, change detection, the eval cache key) sees the cases themselves — an edit of the
 * file is an edit of every version that refers to it (docs/evaluation.md).
 */
import type { ErrorObject } from 'ajv';
import type { Code } from './codes.ts';
import type { Diagnostic } from './diagnostics.ts';
import { FILE_PREFIX, isFileRef } from './file-refs.ts';
import { LIMITS } from './limits.ts';
import { makeDiagnostic } from './make-diagnostic.ts';
import { LineIndex } from './positions.ts';
import type { ParsedRepo, ParsedResource } from './read-resources.ts';
import type { RepoReader } from './repo-reader.ts';
import { runSchema } from './schema/validators.ts';
import { schemaDiagnostics } from './schema-errors.ts';
import { prescanYaml, yamlResult, YamlFile } from './yaml-file.ts';
import { parseYamlText } from './yaml-parse.ts';

/** Points diagnostics at a value of a file by JSON pointer (a YAML file, or a JSON Lines file by row). */
export type Locator = Pick<YamlFile, 'diagnostic'>;

/** A parsed tests file: diagnostics, and positions for the eval's case annotations (run-eval.ts). */
export type TestsFileLocator = Pick<YamlFile, 'diagnostic' | 'locate'>;

const CASES = '/tests/cases';

/** A JSON Lines file: row `/i/…` is line i+1 of the file's non-empty lines. */
class JsonLinesFile implements TestsFileLocator {
  readonly path: string;
  private readonly lines: number[];
  constructor(path: string, lines: number[]) {
    this.path = path;
    this.lines = lines;
  }
  locate(pointer: string): { line: number; col: number } {
    const row = Number(pointer.split('/')[1] ?? 'NaN');
    return { line: Number.isInteger(row) ? (this.lines[row] ?? 1) : 1, col: 1 };
  }
  diagnostic(code: Code, pointer: string, message: string, options: { hint?: string } = {}): Diagnostic {
    return makeDiagnostic(code, this.path, message, {
      ...this.locate(pointer),
      pointer,
      ...(options.hint ? { hint: options.hint } : {}),
    });
  }
}

type Loaded = { cases: unknown[]; file: TestsFileLocator } | { problems: Diagnostic[] };

const notAList = (path: string, what: string): Loaded => ({
  problems: [
    makeDiagnostic('E_TESTS_FILE', path, `${path} must hold a list of test cases, not ${what}.`, {
      hint: 'Write the cases as a YAML or JSON list (- description: …, vars: …, assert: …).',
    }),
  ],
});

/** Parses a referenced test file by its extension; pure. */
export function parseTestsFile(path: string, text: string, limits: typeof LIMITS = LIMITS): Loaded {
  const ext = /\.[^./]+$/.exec(path)?.[0].toLowerCase() ?? '';
  if (ext === '.jsonl') {
    const index = new LineIndex(text);
    const cases: unknown[] = [];
    const lines: number[] = [];
    let offset = 0;
    for (const line of text.split('\n')) {
      const here = offset;
      offset += line.length + 1;
      if (line.trim() === '') continue;
      const at = index.at(here);
      try {
        cases.push(JSON.parse(line));
        lines.push(at.line);
      } catch (error) {
        return {
          problems: [
            makeDiagnostic('E_TESTS_FILE', path, `line ${at.line} is not JSON: ${(error as Error).message}`, at),
          ],
        };
      }
    }
    return { cases, file: new JsonLinesFile(path, lines) };
  }
  if (ext === '.yaml' || ext === '.yml' || ext === '.json') {
    const tooDeep = prescanYaml(path, text, limits.maxDepth);
    if (tooDeep) return { problems: [tooDeep] };
    const parsed = parseYamlText(text, limits.maxAliasCount);
    if (parsed.problems.length > 0) return { problems: yamlResult(path, text, parsed).problems };
    if (!Array.isArray(parsed.data))
      return notAList(
        path,
        parsed.data === null || parsed.data === undefined
          ? 'nothing'
          : `a ${typeof parsed.data === 'object' ? 'mapping' : typeof parsed.data}`,
      );
    return { cases: parsed.data, file: new YamlFile(path, text, parsed.data) };
  }
  return {
    problems: [
      makeDiagnostic(
        'E_TESTS_FILE',
        path,
        `${path}: test cases are read from .yaml, .yml, .json or .jsonl files${ext === '.csv' ? ' (CSV test files are not read)' : ''}.`,
        { hint: 'Convert the file to a YAML list of cases.' },
      ),
    ],
  };
}

/** ajv errors about the loaded cases, re-pointed into the referenced file (`/tests/cases/0/vars` → `/0/vars`). */
function intoFile(errors: ErrorObject[]): { inFile: ErrorObject[]; rest: ErrorObject[] } {
  const inFile: ErrorObject[] = [];
  const rest: ErrorObject[] = [];
  for (const e of errors) {
    if (e.instancePath === CASES || e.instancePath.startsWith(`${CASES}/`))
      inFile.push({ ...e, instancePath: e.instancePath.slice(CASES.length) });
    else rest.push(e);
  }
  return { inFile, rest };
}

/**
 * Replaces every valid prompt version's `tests.cases: file://…` with the cases it names, read
 * through `reader`. A reference that cannot be used is an error at the reference (the version file's
 * line:col); a case that fails the schema is an error in the referenced file. A version with such an
 * error gets no cases and is marked invalid (the errors say why).
 */
export async function loadTestsFiles(
  repo: ParsedRepo,
  reader: RepoReader,
  limits: typeof LIMITS = LIMITS,
): Promise<void> {
  const loaded = new Map<string, Promise<Loaded>>();
  for (const resource of repo.resources) {
    if (resource.kind !== 'prompt') continue;
    const tests = resource.data.tests as Record<string, unknown> | undefined;
    const ref = tests?.cases;
    if (!tests || !isFileRef(ref)) continue;
    if (!resource.valid) {
      tests.cases = []; // never a string where a list is typed, even in a version that must not be used
      continue;
    }
    const fail = (problems: Diagnostic[]): void => {
      for (const d of problems)
        if (
          !repo.errors.some(
            (e) => e.code === d.code && e.file === d.file && e.line === d.line && e.message === d.message,
          )
        )
          repo.errors.push(d);
      tests.cases = [];
      resource.valid = false;
    };
    const path = ref.slice(FILE_PREFIX.length);
    let parsed = loaded.get(path);
    if (!parsed) {
      parsed = reader.read(path).then((read): Loaded => {
        if (!read.ok)
          return {
            problems: [
              resource.file.diagnostic(read.code as Code, CASES, read.message, read.hint ? { hint: read.hint } : {}),
            ],
          };
        return parseTestsFile(path, read.text, limits);
      });
      loaded.set(path, parsed);
    }
    const result = await parsed;
    if ('problems' in result) {
      // A read failure is reported at each reference; a broken file once, at the file.
      fail(
        result.problems.map((d) =>
          d.code === 'E_FILE_REF_OUTSIDE' || d.code === 'E_FILE_REF_UNREADABLE'
            ? resource.file.diagnostic(d.code, CASES, d.message, d.hint ? { hint: d.hint } : {})
            : d,
        ),
      );
      continue;
    }
    const cases = structuredClone(result.cases);
    const { inFile, rest } = intoFile(runSchema('prompt-version', { ...resource.data, tests: { ...tests, cases } }));
    if (inFile.length > 0 || rest.length > 0) {
      fail([...schemaDiagnostics(result.file, inFile), ...schemaDiagnostics(resource.file, rest)]);
      continue;
    }
    tests.cases = cases;
    resource.casesFile = result.file;
    // A cases file next to its versions (prompts/<name>/cases.yaml) is in its place after all.
    for (let i = repo.errors.length - 1; i >= 0; i--)
      if (repo.errors[i]?.code === 'E_BAD_PATH' && repo.errors[i]?.file === path) repo.errors.splice(i, 1);
  }
}

/**
 * Where a diagnostic about a version goes: pointers into its cases land in the referenced file when
 * the cases came from one (`/tests/cases/2/vars/x` → `/2/vars/x` of that file), everything else in
 * the version file.
 */
export function versionLocator(resource: ParsedResource): Locator {
  const casesFile = resource.casesFile;
  if (!casesFile) return resource.file;
  return {
    diagnostic: (code, pointer, message, options = {}) =>
      pointer === CASES || pointer.startsWith(`${CASES}/`)
        ? casesFile.diagnostic(code, pointer.slice(CASES.length), message, options)
        : resource.file.diagnostic(code, pointer, message, options),
  };
}
