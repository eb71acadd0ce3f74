import type { Diagnostic } from './diagnostics.ts';
import { parseDataset, type DatasetFile } from './dataset-file.ts';
import { decodeText } from './decode.ts';
import type { SourceFile } from './file-source.ts';
import { classifyPath, type ClassifiedPath, type FileKind } from './layout.ts';
import { LIMITS } from './limits.ts';
import { makeDiagnostic } from './make-diagnostic.ts';
import { ROLLOUT_KINDS, type SchemaName } from './schema/resources.ts';
import { runSchema } from './schema/validators.ts';
import { schemaDiagnostics } from './schema-errors.ts';
import { ParsePool, POOL_THRESHOLD } from './parse-pool.ts';
import { prescanYaml, yamlResult, type YamlFile } from './yaml-file.ts';
import { parseYamlText, type ParsedYaml } from './yaml-parse.ts';

/** One YAML resource after parsing and schema checking. `data` is only trustworthy when `valid`. */
export interface ParsedResource {
  path: string;
  kind: FileKind;
  /** Name from the path (file stem / prompt directory). */
  name: string;
  version?: number;
  schema: SchemaName;
  file: YamlFile;
  data: Record<string, unknown>;
  /** Passed its schema: fields have the declared types. */
  valid: boolean;
  /** The file a prompt version's `tests.cases: file://…` named, once loaded (`tests-file.ts`). */
  casesFile?: Pick<YamlFile, 'diagnostic'>;
}

export interface ParsedRepo {
  resources: ParsedResource[];
  datasets: Array<{ name: string; file: DatasetFile }>;
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /**
   * `kind:name` (and `prompt:name@version`) of every resource file present, even when it failed to
   * parse: references to it are not dangling, the file's own error is the one to fix.
   */
  present: Set<string>;
}

const NAME_FIELD: Record<Exclude<FileKind, 'dataset' | 'settings'>, string> = {
  prompt: 'prompt',
  model: 'alias',
  experiment: 'experiment',
  rollout: 'flag',
};

const STATIC_SCHEMA: Partial<Record<FileKind, SchemaName>> = {
  settings: 'switchyard',
  prompt: 'prompt-version',
  model: 'model',
  experiment: 'experiment',
};

/** A YAML resource that passed the byte-level checks and the nesting pre-scan, waiting for its parse. */
interface YamlJob {
  path: string;
  text: string;
  classified: ClassifiedPath;
}

/**
 * Parses every file a source delivered: bytes → text → YAML/JSONL → schema → name-vs-path. Large
 * repositories parse their YAML on worker threads (`pool`, or one started here when there are more
 * than `POOL_THRESHOLD` YAML files); results and the order of the diagnostics are the same as when
 * parsing in this thread.
 */
export async function readResources(
  files: readonly SourceFile[],
  limits: typeof LIMITS = LIMITS,
  pool?: ParsePool,
): Promise<ParsedRepo> {
  const repo: ParsedRepo = { resources: [], datasets: [], errors: [], warnings: [], present: new Set() };
  // Pass 1, in file order: byte-level checks, and diagnostics that need no parse. A YAML file becomes
  // a job (its place in `steps` keeps the diagnostics in file order).
  const steps: Array<Diagnostic | { dataset: string; path: string; text: string } | YamlJob> = [];
  const jobs: YamlJob[] = [];
  for (const source of files) {
    const classified = classifyPath(source.path);
    if (typeof classified === 'object') {
      repo.present.add(`${classified.kind}:${classified.name}`);
      if (classified.version !== undefined)
        repo.present.add(`${classified.kind}:${classified.name}@${classified.version}`);
    }
    if (source.problem) {
      steps.push(source.problem);
      continue;
    }
    if (classified === 'ignored') continue;
    if (classified === 'misplaced') {
      const hint = /\.yml$/i.test(source.path) ? `Rename it to ${source.path.replace(/\.yml$/i, '.yaml')}.` : undefined;
      steps.push(
        makeDiagnostic(
          'E_BAD_PATH',
          source.path,
          `${source.path} is not a place where the loader reads resources, so it would be ignored.`,
          hint ? { hint } : {},
        ),
      );
      continue;
    }
    const decoded = decodeText(source.path, source.bytes);
    if ('problem' in decoded) {
      steps.push(decoded.problem);
      continue;
    }
    if (!VALID_NAME.test(classified.name)) {
      steps.push(
        makeDiagnostic(
          'E_BAD_NAME',
          source.path,
          `'${classified.name}' in ${source.path} is not a valid resource name.`,
          { hint: 'Rename the file: lower-case letters, digits, - and _ only.' },
        ),
      );
      continue;
    }
    if (classified.kind === 'dataset') {
      steps.push({ dataset: classified.name, path: source.path, text: decoded.text });
      continue;
    }
    // The pre-scan runs before any text reaches the parser, in this thread or a worker.
    const tooDeep = prescanYaml(source.path, decoded.text, limits.maxDepth);
    if (tooDeep) {
      steps.push(tooDeep);
      continue;
    }
    const job: YamlJob = { path: source.path, text: decoded.text, classified };
    steps.push(job);
    jobs.push(job);
  }

  // Pass 2: parse (workers for large repositories), then schema and name checks in file order.
  const ownPool = !pool && jobs.length > POOL_THRESHOLD ? new ParsePool(limits.maxAliasCount) : undefined;
  try {
    const batches = (pool ?? ownPool)?.parseAll(jobs.map((job) => job.text));
    let index = 0;
    for (const step of steps) {
      if ('code' in step) {
        repo.errors.push(step);
      } else if ('dataset' in step) {
        const { file, problems } = parseDataset(step.path, step.text);
        repo.errors.push(...problems);
        repo.datasets.push({ name: step.dataset, file });
      } else {
        const parsed = batches
          ? (await batches.get(Math.floor(index / batches.size)))[index % batches.size]
          : parseYamlText(step.text, limits.maxAliasCount);
        index++;
        readYamlResource(repo, step, parsed ?? parseYamlText(step.text, limits.maxAliasCount));
      }
    }
  } finally {
    ownPool?.close();
  }
  return repo;
}

const VALID_NAME = /^[a-z0-9][a-z0-9_-]*$/;

function readYamlResource(repo: ParsedRepo, job: YamlJob, parsed: ParsedYaml): void {
  const { path, text, classified } = job;
  const { file, problems } = yamlResult(path, text, parsed);
  repo.errors.push(...problems);
  if (!file) return;
  const data = file.data as Record<string, unknown>;
  let schema = STATIC_SCHEMA[classified.kind];
  if (classified.kind === 'rollout') {
    schema = typeof data.kind === 'string' ? ROLLOUT_KINDS[data.kind] : undefined;
    if (!schema) {
      const known = Object.keys(ROLLOUT_KINDS).join(', ');
      repo.errors.push(
        'kind' in data
          ? file.diagnostic('E_UNKNOWN_KIND', '/kind', `unknown kind ${JSON.stringify(data.kind)}.`, {
              hint: `Use one of: ${known}.`,
            })
          : file.diagnostic('E_UNKNOWN_KIND', '', `${path} has no 'kind'.`, { hint: `Add kind: one of ${known}.` }),
      );
      return;
    }
  }
  if (!schema) return;
  const schemaErrors = schemaDiagnostics(file, runSchema(schema, data));
  repo.errors.push(...schemaErrors);
  checkSchemaComment(repo, path, text, schema);
  const resource: ParsedResource = {
    path,
    kind: classified.kind,
    name: classified.name,
    schema,
    file,
    data,
    valid: schemaErrors.length === 0,
  };
  if (classified.version !== undefined) resource.version = classified.version;
  checkNameMatchesPath(repo, resource);
  repo.resources.push(resource);
}

function checkNameMatchesPath(repo: ParsedRepo, resource: ParsedResource): void {
  if (resource.kind === 'settings' || resource.kind === 'dataset') return;
  const field =
    resource.kind === 'rollout' && (resource.schema === 'embedding-migration' || resource.schema === 'schema-migration')
      ? 'migration'
      : NAME_FIELD[resource.kind];
  const value = resource.data[field];
  if (typeof value === 'string' && value !== resource.name) {
    repo.errors.push(
      resource.file.diagnostic(
        'E_NAME_MISMATCH',
        `/${field}`,
        `${field} '${value}' does not match the path ${resource.path} ('${resource.name}').`,
      ),
    );
  }
  if (
    resource.kind === 'prompt' &&
    typeof resource.data.version === 'number' &&
    resource.data.version !== resource.version
  ) {
    repo.errors.push(
      resource.file.diagnostic(
        'E_NAME_MISMATCH',
        '/version',
        `version ${resource.data.version} does not match the file name v${resource.version}.yaml.`,
        { hint: `Set version: ${resource.version} or rename the file to v${resource.data.version}.yaml.` },
      ),
    );
  }
}

const SCHEMA_COMMENT = /^#\s*yaml-language-server:\s*\$schema=(\S+)/m;

/** Editors only check what they are told to: the first lines must name this kind's schema. */
function checkSchemaComment(repo: ParsedRepo, path: string, text: string, schema: SchemaName): void {
  const head = text.slice(0, 400);
  const match = SCHEMA_COMMENT.exec(head);
  const expected = `${schema}.schema.json`;
  const depth = path.split('/').length - 1;
  const suggestion = `# yaml-language-server: $schema=${'../'.repeat(depth) || './'}schemas/${expected}`;
  if (!match) {
    repo.warnings.push(
      makeDiagnostic('W_SCHEMA_COMMENT', path, `${path} has no yaml-language-server schema comment.`, {
        hint: `Add as the first line: ${suggestion}`,
      }),
    );
  } else if (!(match[1] ?? '').endsWith(`/${expected}`) && match[1] !== expected) {
    const line = head.slice(0, match.index).split('\n').length;
    repo.warnings.push(
      makeDiagnostic(
        'W_SCHEMA_COMMENT',
        path,
        `the schema comment names ${match[1]}, but this is a ${schema} resource.`,
        { line, hint: `Use: ${suggestion}` },
      ),
    );
  }
}
