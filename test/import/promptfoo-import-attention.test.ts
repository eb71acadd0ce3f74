/**
 * import → validate: what the import writes but `validate` would refuse (a floating snapshot, a
 * `cost` assertion without a price, a `{{a.b}}` the runtime does not fill) is printed under "needs
 * your attention" with its code and exact fix — the same codes validate then reports — and
 * following the printed fixes makes validate pass.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { makeDemoRepo, type DemoRepo } from '../eval/demo-repo.ts';
import { testIo } from '../eval/io.ts';

const CONFIG = `description: support bot
prompts:
  - label: greeter
    raw: "Greet {{customer.name}} and answer: {{question}}"
providers:
  - id: openai:gpt-4o
    config: { temperature: 0.2 }
tests:
  - vars: { question: "Where is my refund?", customer: { name: Ada } }
    assert:
      - type: icontains
        value: refund
      - type: cost
        threshold: 0.01
`;

let repo: DemoRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

async function imported(args: string[] = []) {
  repo = await makeDemoRepo();
  await mkdir(join(repo.dir, 'evals'), { recursive: true });
  await writeFile(join(repo.dir, 'evals', 'promptfooconfig.yaml'), CONFIG);
  const io = testIo(repo.dir);
  const code = await main(['import', 'promptfoo', 'evals/promptfooconfig.yaml', ...args], io);
  const validate = testIo(repo.dir);
  const valid = await main(['validate'], validate);
  return { dir: repo.dir, code, out: io.text(), valid, validateOut: validate.text() };
}

const codesIn = (text: string) => [...new Set(text.match(/\bE_[A-Z_]+/g) ?? [])].sort();

describe('import promptfoo: what validate would refuse', () => {
  it('lists each problem with the code validate reports and the exact fix', async () => {
    const r = await imported();
    expect(r.code).toBe(0);
    expect(r.out).toContain('wrote models/imported-gpt-4o.yaml');
    const attention = r.out.slice(r.out.indexOf('needs your attention'));
    expect(attention).toContain('needs your attention before `switchyard validate` passes (3):');
    expect(attention).toContain(
      "models/imported-gpt-4o.yaml: snapshot 'gpt-4o' is a floating alias, so what is evaluated can change under you — `switchyard validate` fails with E_FLOATING_SNAPSHOT. Fix: set `snapshot:` to a dated snapshot (gpt-4o-YYYY-MM-DD, as the provider lists it), or re-run the import with --snapshot <dated snapshot>.",
    );
    expect(attention).toContain(
      'prompts/greeter/v1.yaml: a cost assertion runs on gpt-4o, which models/imported-gpt-4o.yaml gives no price for — `switchyard validate` fails with E_COST_WITHOUT_PRICE. Fix: add `prices: { gpt-4o: { input: <USD per 1M input tokens>, output: <USD per 1M output tokens> } }` to models/imported-gpt-4o.yaml.',
    );
    expect(attention).toContain('prompts/greeter/v1.yaml: {{customer.name}} is not a placeholder');
    expect(attention).toContain(
      'E_INVALID_PLACEHOLDER. Fix: pass that value as a variable of its own (e.g. {{customer_name}})',
    );
    // validate refuses exactly what the import announced (nothing the import did not mention).
    expect(r.valid).toBe(1);
    expect(codesIn(r.validateOut)).toEqual(codesIn(attention));
    // The written files carry the TODOs where the fix goes.
    const model = await readFile(join(r.dir, 'models', 'imported-gpt-4o.yaml'), 'utf8');
    expect(model).toContain('# TODO(switchyard import)');
    expect(model).toContain('(E_COST_WITHOUT_PRICE)');
  });

  it('--snapshot pins a dated snapshot; applying the printed fixes makes validate pass', async () => {
    const r = await imported(['--snapshot', 'gpt-4o-2024-08-06']);
    expect(r.out).not.toContain('E_FLOATING_SNAPSHOT');
    expect(r.out).toContain('snapshot gpt-4o-2024-08-06 set by --snapshot (promptfoo called gpt-4o)');
    expect(codesIn(r.validateOut)).toEqual(['E_COST_WITHOUT_PRICE', 'E_INVALID_PLACEHOLDER']);
    // The fixes, as printed: a price for the snapshot, and the nested value as a variable of its own.
    const modelPath = join(r.dir, 'models', 'imported-gpt-4o.yaml');
    await writeFile(
      modelPath,
      `${await readFile(modelPath, 'utf8')}prices: { gpt-4o-2024-08-06: { input: 2.5, output: 10 } }\n`,
    );
    const versionPath = join(r.dir, 'prompts', 'greeter', 'v1.yaml');
    const version = (await readFile(versionPath, 'utf8'))
      .replace('{{customer.name}}', '{{customer_name}}')
      .replace(/variables:\n((?: {2}- .*\n)+)/, (all) => `${all}  - customer_name\n`)
      .replace(
        '        question: Where is my refund?\n',
        '        question: Where is my refund?\n        customer_name: Ada\n',
      );
    await writeFile(versionPath, version);
    const validate = testIo(r.dir);
    expect(await main(['validate'], validate)).toBe(0);
  });

  it('refuses a --snapshot that is not dated (usage error)', async () => {
    repo = await makeDemoRepo();
    const io = testIo(repo.dir);
    expect(await main(['import', 'promptfoo', 'x.yaml', '--snapshot', 'gpt-4o'], io)).toBe(2);
    expect(io.text()).toContain('--snapshot gpt-4o is not a dated snapshot');
  });
});
