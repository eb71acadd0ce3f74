import { execFileSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROMPTFOO_ASSERTION_TYPES, SCHEMAS, classifyPath, schemaFiles } from '../../src/config/index.ts';
import { ROLLOUT_KINDS } from '../../src/config/schema/resources.ts';

const REPO = join(import.meta.dirname, '..', '..');

/** Every subschema (objects nested under any keyword), with its JSON pointer. */
function* subschemas(node: unknown, pointer = ''): Generator<[string, Record<string, unknown>]> {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) yield* subschemas(node[i], `${pointer}/${i}`);
    return;
  }
  const record = node as Record<string, unknown>;
  yield [pointer, record];
  for (const [key, value] of Object.entries(record)) {
    if (key === 'enum' || key === 'const' || key === 'required') continue;
    yield* subschemas(value, `${pointer}/${key}`);
  }
}

describe('schemas', () => {
  it('the files in schemas/ are exactly what the definitions generate (run `npm run schemas`)', async () => {
    const files = schemaFiles();
    // other parts of Switchyard may publish their own schemas here (e.g. the report); ours must all be present
    const onDisk = await readdir(join(REPO, 'schemas'));
    for (const name of files.keys()) expect(onDisk).toContain(name);
    for (const [name, text] of files) expect(await readFile(join(REPO, 'schemas', name), 'utf8'), name).toBe(text);
  });

  it.each(Object.entries(SCHEMAS))('%s: 2020-12, $id, closed objects, described properties', (name, schema) => {
    const root = schema as Record<string, unknown>;
    expect(root.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(root.$id).toBe(`https://switchyard.dev/schemas/v1/${name}.schema.json`);
    for (const [pointer, sub] of subschemas(schema)) {
      if (sub.properties && !pointer.endsWith('/if')) {
        expect(sub.additionalProperties, `${name}${pointer}`).toBe(false);
        for (const [key, property] of Object.entries(sub.properties as Record<string, Record<string, unknown>>)) {
          expect(typeof property.description, `${name}${pointer}/properties/${key} needs a description`).toBe('string');
        }
      }
      if (sub.type === 'object' && !sub.properties && pointer !== '') {
        // maps (environments, variants, vars): keys are data and must be constrained
        expect(sub.propertyNames, `${name}${pointer} is a map without propertyNames`).toBeDefined();
      }
    }
  });

  it('enumerates exactly the installed promptfoo assertion types', async () => {
    const dts = await readFile(join(REPO, 'node_modules/promptfoo/dist/src/index.d.ts'), 'utf8');
    const block = /declare const BaseAssertionTypesSchema: z\.ZodEnum<\{([\s\S]*?)\}>;/.exec(dts)?.[1] ?? '';
    const installed = [...block.matchAll(/^\s*"?([^":]+(?::[^":]+)?)"?: "/gm)].map((m) => m[1]);
    expect(installed.length).toBeGreaterThan(40);
    expect([...PROMPTFOO_ASSERTION_TYPES].sort()).toEqual(installed.sort());
  });

  it('every other YAML file in the repository names a schema too (workflows: GitHub workflow schema)', () => {
    // The broken-config corpus is exempt: some cases are about a missing or wrong schema comment.
    const tracked = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '--', '*.yaml', '*.yml'], {
      cwd: REPO,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((p) => p !== '' && !p.startsWith('test/config/corpus/') && !p.startsWith('test/conformance/'));
    const workflows = tracked.filter(
      (p) => p.startsWith('.github/workflows/') || p.startsWith('test/github/fixtures/workflows/'),
    );
    expect(workflows.length).toBeGreaterThanOrEqual(5);
    return Promise.all(
      tracked.map(async (path) => {
        const first = (await readFile(join(REPO, path), 'utf8')).split('\n')[0] ?? '';
        expect(first, path).toMatch(/^# yaml-language-server: \$schema=\S+$/);
        if (workflows.includes(path))
          expect(first, path).toBe('# yaml-language-server: $schema=https://json.schemastore.org/github-workflow.json');
      }),
    );
  });

  it('every resource YAML file in the repository names the schema of its kind', () => {
    const tracked = execFileSync(
      'git',
      [
        'ls-files',
        '-co',
        '--exclude-standard',
        '--',
        'switchyard.yaml',
        'prompts',
        'models',
        'experiments',
        'rollouts',
      ],
      { cwd: REPO, encoding: 'utf8' },
    )
      .split('\n')
      .filter((p) => p.endsWith('.yaml'));
    expect(tracked.length).toBeGreaterThanOrEqual(9);
    return Promise.all(
      tracked.map(async (path) => {
        const text = await readFile(join(REPO, path), 'utf8');
        const classified = classifyPath(path);
        if (typeof classified !== 'object') throw new Error(`${path} is not a resource path`);
        const kind = /^kind:\s*(\S+)/m.exec(text)?.[1];
        const schema =
          classified.kind === 'rollout'
            ? ROLLOUT_KINDS[kind ?? '']
            : { settings: 'switchyard', prompt: 'prompt-version', model: 'model', experiment: 'experiment' }[
                classified.kind as string
              ];
        const depth = path.split('/').length - 1;
        const expected = `# yaml-language-server: $schema=${depth === 0 ? './' : '../'.repeat(depth)}schemas/${schema}.schema.json`;
        expect(text.split('\n')[0], path).toBe(expected);
      }),
    );
  });
});
