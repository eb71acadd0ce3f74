// The module graph, enforced. `docs/ARCHITECTURE.md` holds the one copy of which `src/` module may
// import which (the table between the `module-graph` markers); this rule reads it from there, so the
// documentation and the check cannot drift. It also keeps packages apart: code outside a workspace
// package imports it by name (`@switchyard/runtime`), never its sources by path; a package's sources
// import nothing outside the package by path and no npm package it does not declare.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const BUILTINS = new Set(builtinModules);

/** Parses the module table of docs/ARCHITECTURE.md: `| \`src/x/\` | \`y\`, \`z\` |` → x → {y, z}. */
export function readModuleGraph(markdown) {
  const start = markdown.indexOf('<!-- module-graph:start -->');
  const end = markdown.indexOf('<!-- module-graph:end -->');
  if (start < 0 || end < start)
    throw new Error(
      'docs/ARCHITECTURE.md has no module-graph table (<!-- module-graph:start --> … <!-- module-graph:end -->)',
    );
  const graph = new Map();
  for (const line of markdown.slice(start, end).split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const module = /^`src\/([a-z-]+)\/`$/.exec(cells[1] ?? '')?.[1];
    if (!module) continue;
    const allowed = [...(cells[2] ?? '').matchAll(/`([a-z-]+)`/g)].map((m) => m[1]);
    graph.set(module, new Set(allowed));
  }
  if (graph.size === 0) throw new Error('the module-graph table of docs/ARCHITECTURE.md lists no modules');
  return graph;
}

let cached;
function moduleGraph() {
  cached ??= readModuleGraph(readFileSync(join(ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8'));
  return cached;
}

const packageJsons = new Map();
function declaredDependencies(pkg) {
  if (!packageJsons.has(pkg)) {
    const json = JSON.parse(readFileSync(join(ROOT, 'packages', pkg, 'package.json'), 'utf8'));
    packageJsons.set(pkg, {
      name: json.name,
      deps: new Set([...Object.keys(json.dependencies ?? {}), ...Object.keys(json.peerDependencies ?? {})]),
    });
  }
  return packageJsons.get(pkg);
}

/**
 * Where a repository path sits: a package's sources (`package-src`, what ships) or its tests and
 * scripts (`package-other`, which may use the repository's tooling and each other's test helpers),
 * a `src/` module, an example's service, or elsewhere in the repository.
 */
export function areaOf(absolute) {
  const parts = relative(ROOT, absolute).split(sep);
  if (parts[0] === 'packages' && parts.length > 2)
    return { kind: parts[2] === 'src' ? 'package-src' : 'package-other', pkg: parts[1] };
  if (parts[0] === 'src' && parts.length > 2) return { kind: 'src', module: parts[1] };
  if (parts[0] === 'src') return { kind: 'src', module: null };
  if (parts[0] === 'examples' && parts.length > 2 && parts[2] === 'src')
    return { kind: 'example-src', example: parts[1] };
  if (parts[0] === '..') return { kind: 'outside' };
  return { kind: 'repo' };
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The problem with importing `specifier` from `file` (absolute path), or null. */
export function boundaryProblem(file, specifier) {
  const from = areaOf(file);
  if (!specifier.startsWith('.')) {
    if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return null;
    const name = packageName(specifier);
    if (from.kind === 'package-src') {
      const own = declaredDependencies(from.pkg);
      if (name === own.name) return `a package imports its own sources by relative path, not as ${name}`;
      if (!own.deps.has(name))
        return `packages/${from.pkg} does not declare ${name} in package.json (a package's sources import only Node, its own files and its declared dependencies)`;
    }
    return null;
  }
  const target = resolve(dirname(file), specifier);
  const to = areaOf(target);
  const shown = relative(ROOT, target);
  if (from.kind === 'package-src') {
    if (to.kind !== 'package-src' || to.pkg !== from.pkg)
      return `packages/${from.pkg}/src imports ${shown} by path: a package's sources stay inside the package`;
    return null;
  }
  if (to.kind === 'package-src' && !(from.kind === 'package-other' && from.pkg === to.pkg)) {
    return `imports ${shown} by path: import the package by name (${declaredDependencies(to.pkg).name})`;
  }
  if (from.kind === 'example-src') {
    const inside = relative(join(ROOT, 'examples', from.example, 'src'), target);
    if (inside.startsWith('..'))
      return `the example service imports ${shown}: it may import only its own files, @switchyard/* packages and npm packages`;
    return null;
  }
  if (from.kind === 'src') {
    if (to.kind !== 'src')
      return `src/ imports ${shown}: the CLI's sources import only src/, packages by name and npm packages`;
    if (from.module === null || to.module === null || from.module === to.module) return null;
    const graph = moduleGraph();
    const allowed = graph.get(from.module);
    if (!allowed) return `src/${from.module}/ is not in the module-graph table of docs/ARCHITECTURE.md: add it there`;
    if (!allowed.has(to.module)) {
      return `src/${from.module}/ may not import src/${to.module}/ (allowed: ${[...allowed].join(', ') || 'none'}; the graph is in docs/ARCHITECTURE.md)`;
    }
  }
  return null;
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforces package boundaries and the src/ module graph of docs/ARCHITECTURE.md' },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const check = (node) => {
      const source = node.source;
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const problem = boundaryProblem(file, source.value);
      if (problem) context.report({ node: source, message: problem });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export const moduleBoundaries = { rules: { 'module-boundaries': rule } };
