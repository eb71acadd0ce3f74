/**
 * Positions for gate findings: the gate works on loaded projects (no YAML nodes), so it re-reads a
 * head file only when a finding points into it, and falls back to 1:1 for files the change deleted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { YamlFile } from '../config/yaml-file.ts';

export type Locate = (file: string, pointer: string) => { line: number; col: number };

/** A locator over the working tree at `root` (texts read once, on demand). */
export function fileLocator(root: string): Locate {
  const files = new Map<string, YamlFile | null>();
  return (file, pointer) => {
    if (!files.has(file)) {
      let text: string | null = null;
      try {
        text = readFileSync(join(root, file), 'utf8');
      } catch {
        text = null;
      }
      files.set(file, text === null ? null : new YamlFile(file, text, null));
    }
    const yaml = files.get(file);
    if (!yaml) return { line: 1, col: 1 };
    try {
      return yaml.locate(pointer);
    } catch {
      return { line: 1, col: 1 };
    }
  };
}
