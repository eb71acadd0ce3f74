/** Reading a parsed workflow (yaml@2 nodes) for the workflow policy. Pure. */
import { isMap, isScalar, isSeq, type Document, type YAMLMap } from 'yaml';

const SECRET_REF = /secrets\.([A-Za-z_][A-Za-z0-9_]*)|secrets\[\s*'([^']+)'\s*\]/g;

/** A scalar's value as text; undefined for anything else (or a null scalar). */
export function scalarText(node: unknown): string | undefined {
  return isScalar(node) && node.value !== null && node.value !== undefined ? String(node.value) : undefined;
}

/** Every scalar string under a node, concatenated (for expression scans). */
export function allText(node: unknown): string {
  if (isScalar(node)) return String(node.value ?? '');
  if (isMap(node)) return node.items.map((p) => `${allText(p.key)}: ${allText(p.value)}`).join('\n');
  if (isSeq(node)) return node.items.map(allText).join('\n');
  return '';
}

/** Names of the secrets a text references, GITHUB_TOKEN excepted. */
export function secretsIn(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(SECRET_REF)) {
    const name = m[1] ?? m[2] ?? '';
    if (name && name !== 'GITHUB_TOKEN') names.add(name);
  }
  return [...names];
}

/** The events of the workflow's `on:` (a scalar, a list or a mapping). */
export function triggersOf(doc: Document): string[] {
  const root = doc.contents as YAMLMap<unknown, unknown>;
  // YAML 1.1 readers turn a bare `on` key into `true`; yaml@2 (YAML 1.2) keeps the string, but accept both.
  const on: unknown = root.get('on', true) ?? root.get(true, true);
  if (isScalar(on)) return [String(on.value)];
  if (isSeq(on)) return on.items.map((i) => scalarText(i) ?? '').filter(Boolean);
  if (isMap(on)) return on.items.map((p) => scalarText(p.key) ?? '').filter(Boolean);
  return [];
}
