/**
 * `switchyard import promptfoo`: an existing promptfooconfig.yaml → prompt versions (one per prompt,
 * as a new draft version) with its tests, and a model pin for its provider when the repository has
 * none. promptfoo resolves paths against the config's directory; here they become repository-root
 * `file://` references, and a path leaving the repository is refused. A tests file
 * (`tests: file://tests.yaml`) whose cases Switchyard reads as they are stays a file, referenced as
 * `tests.cases: file://…`; otherwise its cases are converted into the version. Everything that
 * cannot be carried over is listed in `notes`, never dropped silently. File reading is injected.
 */
import { basename, dirname, extname, join, normalize, sep } from 'node:path';
import { invalidPlaceholdersIn, placeholdersIn } from '@switchyard/runtime/bundle';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { FILE_PREFIX, isFileRef } from '../config/file-refs.ts';
import { SNAPSHOT_PATTERN } from '../config/schema/builders.ts';
import type { ChatMessage, JsonValue, ModelParams, Project, ProviderConfig } from '../config/types.ts';
import { mapProvider } from './promptfoo-provider.ts';

export interface ImportInput {
  /** Repository-relative path of the promptfoo config. */
  configPath: string;
  /** Reads a repository-relative file. */
  read(path: string): Promise<string>;
  /** The repository's project, when it loads (existing models and prompt versions are reused). */
  project: Project | undefined;
  /** A dated snapshot for the new model pin (`--snapshot`), e.g. when promptfoo calls a floating alias. */
  snapshot?: string;
}

export interface ImportResult {
  /** Files to write, repository-relative. */
  files: { path: string; text: string }[];
  /** What was not carried over, and why. */
  notes: string[];
  /**
   * What was written but needs a decision before `switchyard validate` passes (a floating snapshot,
   * a `cost` assertion without a price, a placeholder the runtime does not fill), each with the exact fix.
   */
  attention: string[];
  /** How tests files were carried over (kept as a file, or converted into the version, and why). */
  info: string[];
}

const CARRIED_TEST_KEYS = new Set(['description', 'vars', 'assert', 'options']);
const CARRIED_CONFIG_KEYS = new Set(['description', 'prompts', 'providers', 'tests', 'defaultTest']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** A slug that matches Switchyard's name pattern. */
export function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  return s === '' ? 'imported' : s;
}

interface Ctx {
  configDir: string;
  notes: string[];
  read(path: string): Promise<string>;
}

/** A config-relative path as a repository-relative one; undefined (with a note) when it leaves the repository. */
function repoPath(ctx: Ctx, path: string, what: string): string | undefined {
  const clean = normalize(join(ctx.configDir, path));
  if (clean === '..' || clean.startsWith(`..${sep}`) || path.startsWith('/')) {
    ctx.notes.push(`${what}: ${path} is outside the repository; not imported`);
    return undefined;
  }
  return clean.split(sep).join('/');
}

/** Rewrites `file://` values (config-relative in promptfoo) to repository-relative references. */
function rebase(ctx: Ctx, value: unknown, what: string): JsonValue {
  if (isFileRef(value)) {
    const path = repoPath(ctx, value.slice(FILE_PREFIX.length), what);
    return path === undefined ? value : `${FILE_PREFIX}${path}`;
  }
  if (Array.isArray(value)) return value.map((v) => rebase(ctx, v, what));
  if (isObj(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rebase(ctx, v, what)]));
  return value as JsonValue;
}

interface ImportedPrompt {
  name: string;
  messages: ChatMessage[];
}

function asMessages(text: string): ChatMessage[] {
  try {
    const parsed: unknown = JSON.parse(text);
    if (
      Array.isArray(parsed) &&
      parsed.every((m) => isObj(m) && typeof m.role === 'string' && typeof m.content === 'string')
    ) {
      return (parsed as { role: string; content: string }[]).map((m) => ({
        role: m.role as ChatMessage['role'],
        content: m.content,
      }));
    }
  } catch {
    // Not JSON: a plain text prompt, sent as one user message (as promptfoo does).
  }
  return [{ role: 'user', content: text.replace(/\s+$/, '') }];
}

async function readPrompts(ctx: Ctx, raw: unknown): Promise<ImportedPrompt[]> {
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const out: ImportedPrompt[] = [];
  for (const [i, entry] of list.entries()) {
    const item: Obj = isObj(entry) ? entry : { raw: entry };
    const text = typeof item.raw === 'string' ? item.raw : typeof item.id === 'string' ? item.id : undefined;
    if (text === undefined) {
      ctx.notes.push(`prompt ${i + 1}: neither text nor a file; not imported`);
      continue;
    }
    let body = text;
    let name = typeof item.label === 'string' ? item.label : `prompt-${i + 1}`;
    if (isFileRef(text)) {
      const path = repoPath(ctx, text.slice(FILE_PREFIX.length), `prompt ${i + 1}`);
      if (path === undefined) continue;
      if (/\.(js|ts|py|mjs|cjs)(:|$)/.test(path)) {
        ctx.notes.push(`prompt ${i + 1}: ${path} is a prompt function; Switchyard prompts are messages — not imported`);
        continue;
      }
      body = await ctx.read(path);
      if (typeof item.label !== 'string') name = basename(path, extname(path));
    }
    if (/\{%|\{\{[^}]*(\||\.|\()/.test(body))
      ctx.notes.push(`prompt ${name}: uses Nunjucks tags or filters Switchyard does not render; kept as literal text`);
    out.push({ name: slug(name), messages: asMessages(body) });
  }
  return out;
}

interface ImportedModel {
  alias: string;
  snapshot: string;
  params: ModelParams;
  /** Whether the pin is written by this import (so its file can carry TODOs). */
  created: boolean;
  /** The pin's prices, when it exists already. */
  prices?: Record<string, unknown>;
  file?: { path: string; text: string };
}

const DATED = new RegExp(SNAPSHOT_PATTERN);

/** The exact fix for a floating snapshot of a pin of `type`. */
function floatingFix(type: string, snapshot: string): string {
  return type === 'ollama'
    ? `give the model a dated tag (\`ollama cp ${snapshot} ${snapshot}-YYYY-MM-DD\`) and set \`snapshot: ${snapshot}-YYYY-MM-DD\`, or re-run the import with --snapshot ${snapshot}-YYYY-MM-DD`
    : `set \`snapshot:\` to a dated snapshot (${snapshot}-YYYY-MM-DD, as the provider lists it), or re-run the import with --snapshot <dated snapshot>`;
}

function readModel(
  ctx: Ctx,
  raw: unknown,
  project: Project | undefined,
  attention: string[],
  forced: string | undefined,
): ImportedModel | undefined {
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (list.length > 1)
    ctx.notes.push(
      `providers: ${list.length} providers; only the first is imported (a prompt version runs on one model)`,
    );
  const first: Obj = isObj(list[0]) ? list[0] : { id: list[0] };
  const id = typeof first.id === 'string' ? first.id : '';
  // promptfoo's ids Switchyard serves as pin types (docs/evaluation.md, "Where models are called").
  const mapped = mapProvider(id, isObj(first.config) ? first.config : {});
  if (!mapped) {
    ctx.notes.push(
      `providers: '${id || '(none)'}' is not an OpenAI chat, Anthropic messages, Ollama or http provider; pick a model alias in the imported versions`,
    );
    return undefined;
  }
  ctx.notes.push(...mapped.notes);
  const { provider, params } = mapped;
  const promptfooModel = mapped.model ?? (provider.type === 'http' ? slug(new URL(provider.url).hostname) : 'model');
  const snapshot = forced ?? promptfooModel;
  const where = (p: ProviderConfig) => ('baseUrl' in p ? p.baseUrl : 'url' in p ? p.url : undefined);
  const existing = [...(project?.models.values() ?? [])].find(
    (p) => p.snapshot === snapshot && p.provider.type === provider.type && where(p.provider) === where(provider),
  );
  if (existing)
    return {
      alias: existing.alias,
      snapshot,
      params,
      created: false,
      ...(existing.prices ? { prices: existing.prices } : {}),
    };
  const alias = slug(`imported-${promptfooModel.replace(/-\d{4}-\d{2}-\d{2}$|-\d{8}$/, '')}`);
  const path = `models/${alias}.yaml`;
  const todos: string[] = [];
  if (forced !== undefined && forced !== promptfooModel)
    ctx.notes.push(`providers: snapshot ${forced} set by --snapshot (promptfoo called ${promptfooModel})`);
  for (const a of mapped.attention) attention.push(`${path}: ${a}`);
  if (!DATED.test(snapshot)) {
    const fix = floatingFix(provider.type, snapshot);
    attention.push(
      `${path}: snapshot '${snapshot}' is a floating alias, so what is evaluated can change under you — \`switchyard validate\` fails with E_FLOATING_SNAPSHOT. Fix: ${fix}.`,
    );
    todos.push(`TODO(switchyard import): '${snapshot}' is not a dated snapshot (E_FLOATING_SNAPSHOT): ${fix}.`);
  }
  const pin = {
    alias,
    description: `Imported from ${ctx.configDir || '.'} (promptfoo provider ${id}).`,
    provider,
    snapshot,
    conversations: 'pinned',
    retired: [],
  };
  return {
    alias,
    snapshot,
    params,
    created: true,
    file: {
      path,
      text: `# yaml-language-server: $schema=../schemas/model.schema.json\n${todos.map((t) => `# ${t}\n`).join('')}${stringifyYaml(pin)}`,
    },
  };
}

/** Whether assertions (of a case list or defaultTest) use promptfoo's `cost` or `not-cost`. */
function usesCost(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(usesCost);
  if (!isObj(value)) return false;
  if (value.type === 'cost' || value.type === 'not-cost') return true;
  return Object.values(value).some(usesCost);
}

/**
 * The tests of a config, each with the context its paths are relative to (a tests file's own
 * directory); `file` when they all come from one tests file (with the file's cases as written).
 */
interface ReadTests {
  tests: Array<{ test: Obj; ctx: Ctx }>;
  file?: { path: string; raw: unknown[] };
}

/** A tests file's cases: a YAML/JSON list, or one JSON object per line (.jsonl). */
function parseTestsText(path: string, text: string): unknown[] {
  if (path.endsWith('.jsonl'))
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as unknown);
  const loaded: unknown = parseYaml(text);
  return Array.isArray(loaded) ? loaded : [loaded];
}

async function readTests(ctx: Ctx, raw: unknown): Promise<ReadTests> {
  const sources = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const out: ReadTests['tests'] = [];
  let file: ReadTests['file'];
  for (const s of sources) {
    if (isObj(s)) {
      out.push({ test: s, ctx });
      continue;
    }
    if (typeof s !== 'string') continue;
    const path = repoPath(ctx, s.replace(/^file:\/\//, ''), 'tests');
    if (path === undefined) continue;
    if (!/\.(ya?ml|jsonl?)$/.test(path)) {
      ctx.notes.push(`tests: ${path} is not YAML, JSON or JSON Lines (CSV and scripts are not imported)`);
      continue;
    }
    const loaded = parseTestsText(path, await ctx.read(path));
    if (sources.length === 1) file = { path, raw: loaded };
    const fileCtx = { ...ctx, configDir: dirname(path) === '.' ? '' : dirname(path) };
    for (const t of loaded) if (isObj(t)) out.push({ test: t, ctx: fileCtx });
  }
  return file ? { tests: out, file } : { tests: out };
}

/**
 * Why a tests file cannot be referenced as it is (undefined when it can): every case must read the
 * same after conversion (no dropped key, no path to rewrite) and set `vars`, and no variable of it
 * may be one the version drops.
 */
function fileRefusal(
  raw: readonly unknown[],
  converted: readonly Obj[],
  dropped: ReadonlySet<string>,
): string | undefined {
  if (raw.length === 0) return 'it holds no cases';
  for (const [i, t] of raw.entries()) {
    if (!isObj(t)) return `case ${i + 1} is not a mapping`;
    if (!isObj(t.vars)) return `case ${i + 1} has no vars mapping`;
    if (JSON.stringify(sortKeys(t)) !== JSON.stringify(sortKeys(converted[i])))
      return `case ${i + 1} needs converting (keys not carried over or file paths to rewrite)`;
    const unused = Object.keys(t.vars).filter((k) => dropped.has(k));
    if (unused.length > 0) return `case ${i + 1} sets ${unused.join(', ')}, which the prompt does not use`;
  }
  return undefined;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isObj(value))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k])]),
    );
  return value;
}

/** A promptfoo test (or defaultTest) in Switchyard's shape; what is dropped is noted. */
function convertTest(ctx: Ctx, t: Obj, what: string): Obj {
  const out: Obj = {};
  for (const k of Object.keys(t)) if (!CARRIED_TEST_KEYS.has(k)) ctx.notes.push(`${what}: '${k}' not imported`);
  if (typeof t.description === 'string') out.description = t.description;
  if (isObj(t.vars)) {
    out.vars = rebase(ctx, t.vars, what);
    // promptfoo runs a file glob var once per matching file; Switchyard reads one file per reference.
    for (const [k, v] of Object.entries(t.vars))
      if (isFileRef(v) && /[*?[{]/.test(v))
        ctx.notes.push(`${what}: var ${k} is a file glob (${v}); promptfoo runs one test per file — list the files`);
  } else if (t.vars !== undefined)
    ctx.notes.push(`${what}: vars from a file or a list (${JSON.stringify(t.vars).slice(0, 60)}) not imported`);
  if (Array.isArray(t.assert)) {
    out.assert = t.assert.map((a: unknown) => {
      if (!isObj(a)) return a;
      const { provider, rubricPrompt, ...rest } = a;
      if (provider !== undefined)
        ctx.notes.push(`${what}: an assertion's grader provider is not imported (Switchyard sets the grader)`);
      if (rubricPrompt !== undefined) ctx.notes.push(`${what}: rubricPrompt not imported`);
      return rebase(ctx, rest, what);
    });
  }
  if (isObj(t.options)) {
    for (const k of Object.keys(t.options))
      if (k !== 'transform')
        ctx.notes.push(`${what}: options.${k} not imported${k === 'provider' ? ' (Switchyard sets the grader)' : ''}`);
    if (typeof t.options.transform === 'string') out.options = { transform: t.options.transform };
  }
  return out;
}

/** Variables promptfoo runs once per value: a list whose first item is text (its `generateVarCombinations`). */
function listVars(vars: Obj): string[] {
  return Object.keys(vars).filter((k) => {
    const v = vars[k];
    return Array.isArray(v) && typeof v[0] === 'string';
  });
}

/**
 * A test as the tests promptfoo runs for it: one per combination of its list variables' values
 * (defaultTest's vars merged under its own, as promptfoo merges them first), in promptfoo's order.
 * Switchyard passes a list variable as one value (docs/evaluation.md), so the import expands it.
 */
function expandTest(t: Obj, defaultVars: Obj, index: number): Obj[] {
  const merged: Obj = { ...defaultVars, ...(isObj(t.vars) ? t.vars : {}) };
  const lists = listVars(merged);
  if (lists.length === 0) return [t];
  let combos: Obj[] = [{}];
  for (const k of lists) combos = combos.flatMap((c) => (merged[k] as unknown[]).map((v) => ({ ...c, [k]: v })));
  const name = typeof t.description === 'string' ? t.description : `case ${index + 1}`;
  return combos.map((c) => ({
    ...t,
    description: `${name} (${lists.map((k) => `${k}: ${String(c[k])}`).join(', ')})`,
    vars: { ...(isObj(t.vars) ? t.vars : {}), ...c },
  }));
}

function placeholders(messages: readonly ChatMessage[]): string[] {
  return [...new Set(messages.flatMap((m) => placeholdersIn(m.content)))];
}

/** Converts the config; see the module doc. */
export async function importPromptfoo(input: ImportInput): Promise<ImportResult> {
  const notes: string[] = [];
  const ctx: Ctx = {
    configDir: dirname(input.configPath) === '.' ? '' : dirname(input.configPath),
    notes,
    read: input.read,
  };
  const config: unknown = parseYaml(await input.read(input.configPath));
  if (!isObj(config))
    return {
      files: [],
      notes: [`${input.configPath} is not a promptfoo config (not a mapping)`],
      info: [],
      attention: [],
    };
  for (const k of Object.keys(config)) if (!CARRIED_CONFIG_KEYS.has(k)) notes.push(`'${k}' is not imported`);

  const prompts = await readPrompts(ctx, config.prompts);
  const attention: string[] = [];
  const model = readModel(ctx, config.providers, input.project, attention, input.snapshot);
  const read = await readTests(ctx, config.tests);
  const tests = read.tests.map((t, i) => convertTest(t.ctx, t.test, `test ${i + 1}`));
  const info: string[] = [];
  const converted = isObj(config.defaultTest) ? convertTest(ctx, config.defaultTest, 'defaultTest') : undefined;
  // List variables become one case per value (promptfoo's expansion, made explicit).
  const defaultVars: Obj = isObj(converted?.vars) ? converted.vars : {};
  const expandedTests = tests.flatMap((t, i) => expandTest(t, defaultVars, i));
  const defaultLists = listVars(defaultVars);
  const scalarDefaults = Object.fromEntries(Object.entries(defaultVars).filter(([k]) => !defaultLists.includes(k)));
  const { vars: _lists, ...defaultRest } = converted ?? {};
  const defaultTest =
    converted && defaultLists.length > 0
      ? { ...defaultRest, ...(Object.keys(scalarDefaults).length > 0 ? { vars: scalarDefaults } : {}) }
      : converted;
  if (expandedTests.length !== tests.length)
    info.push(
      `list variables expanded: ${tests.length} tests became ${expandedTests.length} cases, one per value, as promptfoo runs them`,
    );
  const files: ImportResult['files'] = [];
  if (model?.file) files.push(model.file);
  if (tests.length === 0) notes.push('no tests: a prompt version needs at least one case; nothing written');
  for (const p of prompts) {
    if (tests.length === 0 || !model) continue;
    const existing = input.project?.prompts.get(p.name);
    const version = Math.max(0, ...(existing ? [...existing.keys()] : [])) + 1;
    const used = placeholders(p.messages);
    const testVars = new Set([
      ...Object.keys((defaultTest?.vars as Obj | undefined) ?? {}),
      ...expandedTests.flatMap((t) => Object.keys((t.vars as Obj | undefined) ?? {})),
    ]);
    // A var no message uses is kept when an assertion refers to it ({{expected}}, vars.expected).
    const assertionText = JSON.stringify([defaultTest?.assert ?? [], tests.map((t) => t.assert ?? [])]);
    const unused = [...testVars].filter((v) => !used.includes(v));
    const kept = unused.filter((v) => new RegExp(`\\b${v}\\b`).test(assertionText)).sort();
    const dropped = new Set(unused.filter((v) => !kept.includes(v)));
    if (dropped.size > 0)
      notes.push(`prompt ${p.name}: vars ${[...dropped].join(', ')} are used by no message or assertion; dropped`);
    const strip = (t: Obj): Obj =>
      isObj(t.vars) ? { ...t, vars: Object.fromEntries(Object.entries(t.vars).filter(([k]) => !dropped.has(k))) } : t;
    const variables = [...used, ...kept];
    // A tests file Switchyard reads as it is stays one file, shared as promptfoo shared it.
    const refusal =
      read.file &&
      (expandedTests.length !== tests.length
        ? 'it has list variables, each expanded into one case per value'
        : fileRefusal(read.file.raw, tests, dropped));
    const casesRef = read.file && refusal === undefined ? `${FILE_PREFIX}${read.file.path}` : undefined;
    if (read.file)
      info.push(
        casesRef
          ? `prompt ${p.name}: tests stay in ${read.file.path} (tests.cases: ${casesRef})`
          : `prompt ${p.name}: the cases of ${read.file.path} are copied into the version (${refusal})`,
      );
    const doc: Obj = {
      prompt: p.name,
      version,
      status: 'draft',
      description: `Imported from ${input.configPath}${typeof config.description === 'string' ? `: ${config.description}` : ''}.`,
      model: model.alias,
      ...(Object.keys(model.params).length > 0 ? { params: model.params } : {}),
      messages: p.messages,
      variables,
      tests: {
        minPassRate: 1,
        ...(defaultTest && Object.keys(defaultTest).length > 0 ? { defaultTest: strip(defaultTest) } : {}),
        cases: casesRef ?? expandedTests.map((t, i) => ({ description: `case ${i + 1}`, vars: {}, ...strip(t) })),
      },
    };
    const path = `prompts/${p.name}/v${version}.yaml`;
    for (const text of [...new Set(p.messages.flatMap((m) => invalidPlaceholdersIn(m.content)))])
      attention.push(
        `${path}: ${text} is not a placeholder (names are letters, digits and _; nothing is looked up inside a value) — \`switchyard validate\` fails with E_INVALID_PLACEHOLDER. Fix: pass that value as a variable of its own (e.g. {{${slug(text.replace(/[{}\s]/g, '')).replace(/-/g, '_')}}}), declare it in variables and set it in the cases.`,
      );
    const modelFile = `models/${model.alias}.yaml`;
    if (usesCost([defaultTest?.assert, tests.map((t) => t.assert)]) && !(model.prices ?? {})[model.snapshot])
      attention.push(
        `${path}: a cost assertion runs on ${model.snapshot}, which ${modelFile} gives no price for — \`switchyard validate\` fails with E_COST_WITHOUT_PRICE. Fix: add \`prices: { ${model.snapshot}: { input: <USD per 1M input tokens>, output: <USD per 1M output tokens> } }\` to ${modelFile}.`,
      );
    files.push({
      path,
      text: `# yaml-language-server: $schema=../../schemas/prompt-version.schema.json\n${stringifyYaml(doc, { lineWidth: 0 })}`,
    });
  }
  // A pin written here carries its TODOs where the fix goes.
  const priceTodo = attention.find((a) => a.includes('E_COST_WITHOUT_PRICE'));
  if (model?.file && priceTodo)
    model.file.text = model.file.text.replace(
      /^(# yaml-language-server[^\n]*\n)/,
      `$1# TODO(switchyard import): cost assertions need prices: { ${model.snapshot}: { input: <USD per 1M input tokens>, output: <USD per 1M output tokens> } } (E_COST_WITHOUT_PRICE).\n`,
    );
  return { files, notes: [...new Set(notes)], info, attention: [...new Set(attention)] };
}
