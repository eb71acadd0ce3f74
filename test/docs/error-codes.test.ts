import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSources } from '../../scripts/codes/read-sources.ts';
import { cataloguedCodes, REGENERATE, renderCatalogue } from '../../scripts/codes/render-codes.ts';
import { scanCodes, type SourceText } from '../../scripts/codes/scan-codes.ts';

const root = join(import.meta.dirname, '../..');

/** Why a catalogue is not the one the sources give, in words a developer can act on; '' when current. */
function staleness(current: string, sources: SourceText[]): string {
  const entries = scanCodes(sources);
  const expected = renderCatalogue(entries);
  if (current === expected) return '';
  const listed = cataloguedCodes(current);
  const missing = entries
    .filter((e) => !listed.has(e.code))
    .map((e) => `${e.code} (${e.sites[0] ? `${e.sites[0].file}:${e.sites[0].line}` : 'defined only'})`);
  const known = new Set(entries.map((e) => e.code));
  const gone = [...listed].filter((c) => !known.has(c));
  const a = current.split('\n');
  const b = expected.split('\n');
  const first = b.findIndex((line, i) => a[i] !== line);
  return [
    'docs/error-codes.md is stale.',
    missing.length > 0 ? `Raised in the sources but not catalogued: ${missing.join(', ')}.` : '',
    gone.length > 0 ? `Catalogued but no longer in the sources: ${gone.join(', ')}.` : '',
    first >= 0
      ? `First difference at line ${first + 1}: expected ${JSON.stringify(b[first])}, found ${JSON.stringify(a[first])}.`
      : '',
    `Run \`${REGENERATE}\` and commit docs/error-codes.md.`,
  ]
    .filter(Boolean)
    .join('\n');
}

describe('error code catalogue (docs/error-codes.md)', () => {
  let sources: SourceText[];
  beforeAll(async () => {
    sources = await readSources(root);
  });

  it('lists every code the sources raise, exactly as `npm run codes` renders it', async () => {
    const current = await readFile(join(root, 'docs/error-codes.md'), 'utf8').catch(() => '');
    const problem = staleness(current, sources);
    if (problem !== '') expect.fail(problem);
    // Sanity: the scan reaches every part of the repository that raises codes.
    const codes = cataloguedCodes(current);
    for (const code of [
      'E_DANGLING_REF',
      'E_STORE_OPEN',
      'E_SIGNATURE_INVALID',
      'E_FETCH_TIMEOUT',
      'E_CONFLICT',
      'W_BUNDLE_OVERRIDE_UNKNOWN_ENV',
    ])
      expect(codes).toContain(code);
    expect(codes.size).toBeGreaterThan(200);
  });

  it('says what every code means', () => {
    const unexplained = scanCodes(sources)
      .filter((e) => e.meaning === undefined)
      .map((e) => `${e.code} (${e.sites[0]?.file}:${e.sites[0]?.line})`);
    expect(
      unexplained,
      'write a message next to the code where it is raised, or add it to scripts/codes/notes.ts',
    ).toEqual([]);
  });

  it('fails, naming the code and the command, when a new code is raised but not catalogued', () => {
    const current = renderCatalogue(scanCodes(sources));
    const added = [
      ...sources,
      { path: 'src/new/thing.ts', text: "throw new StoreError('E_BRAND_NEW', 'something new broke');\n" },
    ];
    const problem = staleness(current, added);
    expect(problem).toContain('E_BRAND_NEW (src/new/thing.ts:1)');
    expect(problem).toContain(`Run \`${REGENERATE}\``);
  });

  it('fails on an uncatalogued code written inside a template string (a message that names its code)', () => {
    const current = renderCatalogue(scanCodes(sources));
    const added = [
      ...sources,
      {
        path: 'src/new/cmd.ts',
        text: 'export const f = (p: string) => `switchyard x: E_TEMPLATE_ONLY cannot read ${p}`;\n',
      },
    ];
    expect(staleness(current, added)).toContain('E_TEMPLATE_ONLY (src/new/cmd.ts:1)');
  });

  it('fails when a raise site moves (the file:line would be wrong)', () => {
    const entries = scanCodes(sources);
    const current = renderCatalogue(entries);
    const file = entries.find((e) => e.sites.length > 0)?.sites[0]?.file;
    expect(file).toBeDefined();
    const moved = sources.map((s) => (s.path === file ? { ...s, text: `\n${s.text}` } : s));
    expect(staleness(current, moved)).toMatch(/First difference/);
  });
});

describe('scanCodes', () => {
  const scan = (text: string, extra: SourceText[] = []) => scanCodes([{ path: 'src/x/a.ts', text }, ...extra]);

  it('finds codes raised through a constructor, an object literal, a helper call and a constant', () => {
    const entries = scan(
      [
        "throw new StoreError('E_ONE', `cannot open ${dir}`, { hint: 'close the other process' });",
        "return { ok: false, code: 'E_TWO', message: 'the plan is unknown', hint: 'name a plan' };",
        'diagnostics.push(makeDiagnostic("E_THREE", file, \'a bad thing\'));',
        'fail(VerifyCode.EXPIRED);',
      ].join('\n'),
      [
        {
          path: 'packages/p/src/codes.ts',
          text: "export const VerifyCode = {\n  /** The manifest has expired. */\n  EXPIRED: 'E_EXPIRED',\n} as const;\n",
        },
      ],
    );
    const byCode = new Map(entries.map((e) => [e.code, e]));
    expect(byCode.get('E_ONE')).toMatchObject({
      meaning: 'cannot open …',
      hint: 'close the other process',
      sites: [{ file: 'src/x/a.ts', line: 1 }],
    });
    expect(byCode.get('E_TWO')).toMatchObject({
      meaning: 'the plan is unknown',
      hint: 'name a plan',
      sites: [{ line: 2 }],
    });
    expect(byCode.get('E_THREE')).toMatchObject({ meaning: 'a bad thing', sites: [{ line: 3 }] });
    expect(byCode.get('E_EXPIRED')).toMatchObject({
      meaning: 'The manifest has expired.',
      definedAt: { file: 'packages/p/src/codes.ts', line: 3 },
      sites: [{ file: 'src/x/a.ts', line: 4 }],
    });
  });

  it('takes meaning and hint from a catalogue map, and severity from the prefix', () => {
    const entries = scan(
      "export const CODES = {\n  W_SOFT: { severity: 'warning', summary: 'Soft.', hint: 'Ignore it.' },\n};\nwarn('W_SOFT', 'x y');\n",
    );
    expect(entries).toEqual([
      {
        code: 'W_SOFT',
        severity: 'warning',
        meaning: 'Soft.',
        hint: 'Ignore it.',
        definedAt: { file: 'src/x/a.ts', line: 2 },
        sites: [{ file: 'src/x/a.ts', line: 4 }],
      },
    ]);
  });

  it('counts a code anywhere in a string or template literal, but not a computed prefix', () => {
    const entries = scan(
      [
        'io.stderr(`switchyard ingest: E_INGEST_READ cannot read ${input}: ${message}`);',
        "blockers.push('E_EVAL_MISSING no eval results');",
        'blockers.push(`E_SHADOW_GATE ${title}: below the gate (E_SHADOW_MISSING otherwise)`);',
        'const code = `E_WF_${kind}`;',
      ].join('\n'),
    );
    expect(entries.map((e) => [e.code, e.sites])).toEqual([
      ['E_EVAL_MISSING', [{ file: 'src/x/a.ts', line: 2 }]],
      ['E_INGEST_READ', [{ file: 'src/x/a.ts', line: 1 }]],
      ['E_SHADOW_GATE', [{ file: 'src/x/a.ts', line: 3 }]],
      ['E_SHADOW_MISSING', [{ file: 'src/x/a.ts', line: 3 }]],
    ]);
  });

  it('does not count comments, comparisons or types as raise sites', () => {
    const entries = scan(
      [
        '// E_COMMENT is mentioned here',
        '/** E_JSDOC too */',
        "if (error.code === 'E_COMPARED') retry();",
        "switch (code) { case 'E_CASE': break; }",
        "type Code = 'E_TYPE' | 'E_TYPE2';",
        "const e_lower = 'E_';",
      ].join('\n'),
    );
    expect(entries).toEqual([]);
  });
});
