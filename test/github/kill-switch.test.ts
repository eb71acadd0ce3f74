import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { setKilled } from '../../src/config/edit/set-killed.ts';

const root = join(import.meta.dirname, '..', '..');
const read = (p: string): string => readFileSync(join(root, p), 'utf8');

function changedLines(a: string, b: string): Array<[string | undefined, string | undefined]> {
  const x = a.split('\n');
  const y = b.split('\n');
  const out: Array<[string | undefined, string | undefined]> = [];
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) if (x[i] !== y[i]) out.push([x[i], y[i]]);
  return out;
}

describe('kill switch YAML edit', () => {
  it('changes exactly one line of the demo model rollout and keeps every comment', () => {
    const source = read('rollouts/chat-gpt-4o-2024-08-06.yaml');
    const edit = setKilled(source, { file: 'rollouts/chat-gpt-4o-2024-08-06.yaml' });
    expect(edit.errors).toEqual([]);
    expect(edit.value?.changed).toBe(true);
    expect(changedLines(source, edit.value?.text ?? '')).toEqual([['killed: false', 'killed: true']]);
    expect(parse(edit.value?.text ?? '').killed).toBe(true);
  });

  it('is idempotent: killing a killed flag changes nothing', () => {
    const once = setKilled(read('rollouts/new-onboarding-tips.yaml'), { file: 'f.yaml' }).value?.text ?? '';
    const twice = setKilled(once, { file: 'f.yaml' });
    expect(twice.value).toEqual({ text: once, changed: false, path: 'killed' });
  });

  it('kills in one environment only, inserting the override and keeping flow sequences as written', () => {
    const source = read('rollouts/chat-gpt-4o-2024-08-06.yaml');
    const edit = setKilled(source, { file: 'f.yaml', env: 'production' });
    expect(edit.errors).toEqual([]);
    const text = edit.value?.text ?? '';
    expect(parse(text).environments).toEqual({ staging: { percent: 25 }, production: { killed: true } });
    expect(parse(text).killed).toBe(false);
    expect(text).toContain('stages: [1, 5, 25, 100]');
    expect(text).toContain('# Existing conversations stay on the snapshot they started on');
  });

  it('edits an existing per-environment value in place', () => {
    const source = read('rollouts/chat-gpt-4o-2024-08-06.yaml').replace(
      '    percent: 25\n',
      '    percent: 25\n    killed: false # staging only\n',
    );
    const edit = setKilled(source, { file: 'f.yaml', env: 'staging' });
    expect(changedLines(source, edit.value?.text ?? '')).toEqual([
      ['    killed: false # staging only', '    killed: true # staging only'],
    ]);
  });

  it('revives with killed: false', () => {
    const killed = setKilled(read('rollouts/rag-hybrid-large.yaml'), { file: 'f.yaml' }).value?.text ?? '';
    const revived = setKilled(killed, { file: 'f.yaml', killed: false });
    expect(revived.value?.text).toBe(read('rollouts/rag-hybrid-large.yaml'));
  });

  it('revives one environment by removing its override, and refuses while the flag is killed everywhere', () => {
    const source = read('rollouts/chat-gpt-4o-2024-08-06.yaml');
    const killedInProduction = setKilled(source, { file: 'f.yaml', env: 'production' }).value?.text ?? '';
    const revived = setKilled(killedInProduction, { file: 'f.yaml', env: 'production', killed: false });
    expect(revived.errors).toEqual([]);
    expect(revived.value?.changed).toBe(true);
    const data = parse(revived.value?.text ?? '');
    expect(data.environments.production).toEqual({});
    expect(data.environments.staging).toEqual({ percent: 25 });
    expect(data.killed).toBe(false);
    // Nothing to remove: a no-op, not a `killed: false` override (which could never revive anything).
    expect(setKilled(source, { file: 'f.yaml', env: 'production', killed: false }).value).toEqual({
      text: source,
      changed: false,
      path: 'environments.production.killed',
    });
    const killedEverywhere = setKilled(source, { file: 'f.yaml' }).value?.text ?? '';
    expect(setKilled(killedEverywhere, { file: 'f.yaml', env: 'staging', killed: false }).errors[0]?.code).toBe(
      'E_KILL_GLOBAL',
    );
  });

  it('refuses resources without a kill switch and broken YAML, with stable codes', () => {
    expect(setKilled(read('rollouts/docs-embeddings-3-large.yaml'), { file: 'm.yaml' }).errors[0]?.code).toBe(
      'E_KILL_NOT_A_FLAG',
    );
    expect(setKilled('kind: Flag\nflag: [', { file: 'b.yaml' }).errors[0]?.code).toBe('E_KILL_PARSE');
    expect(setKilled('kind: Flag\nkilled:\n  nested: true\n', { file: 'b.yaml' }).errors[0]?.code).toBe('E_KILL_EDIT');
  });
});
