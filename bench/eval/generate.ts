/**
 * A generated organisation for the eval bench: `prompts` prompts × 3 versions (v1 deprecated, v2
 * active, v3 draft) × `cases` test cases, spread over `models` model aliases.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const TICKETS = [
  ['I was charged twice for my annual plan and I would like a refund.', 'refund'],
  ['Since this morning the dashboard shows an error 502 and nobody can log in.', '502'],
  ['The password reset email never arrives, I checked spam.', 'password'],
  ['My order 4411 arrived with a cracked screen, I want a replacement.', 'replacement'],
  ['Please cancel my subscription before it renews next week.', 'cancel'],
] as const;

export async function generateEvalOrg(dir: string, prompts: number, cases: number, models: number): Promise<void> {
  const files = new Map<string, string>();
  files.set(
    'switchyard.yaml',
    [
      '# yaml-language-server: $schema=./schemas/switchyard.schema.json',
      'project: bench-eval',
      'environments:\n  - name: staging\n  - name: production',
      'signing:\n  trustedKeys: []\n  expiresAfter: 30d',
      'publish:\n  target: dist/published',
      'defaults:\n  minPassRate: 0.8\n  shadowGate:\n    minAvgSimilarity: 0.9\n    minMinSimilarity: 0.7',
      'eval:\n  concurrency: 8',
      '',
    ].join('\n'),
  );
  for (let m = 0; m < models; m++) {
    files.set(
      `models/m${m}.yaml`,
      `# yaml-language-server: $schema=../schemas/model.schema.json\nalias: m${m}\nprovider:\n  type: openai\nsnapshot: gpt-4o-2024-05-13\nparams:\n  temperature: 0.2\nconversations: pinned\nretired: []\n`,
    );
  }
  for (let p = 0; p < prompts; p++) {
    for (const version of [1, 2, 3]) {
      const status = version === 1 ? 'deprecated' : version === 2 ? 'active' : 'draft';
      const caseLines: string[] = [];
      for (let c = 0; c < cases; c++) {
        const [ticket, word] = TICKETS[(p + c) % TICKETS.length] as readonly [string, string];
        caseLines.push(
          `    - description: case ${c + 1}`,
          '      vars:',
          `        ticket: "${ticket} (ref ${p}-${c})"`,
          '      assert:',
          '        - type: icontains',
          `          value: "${word}"`,
        );
      }
      files.set(
        `prompts/p${p}/v${version}.yaml`,
        [
          '# yaml-language-server: $schema=../../schemas/prompt-version.schema.json',
          `prompt: p${p}`,
          `version: ${version}`,
          `status: ${status}`,
          `model: m${p % models}`,
          'messages:',
          '  - role: system',
          `    content: You summarise support tickets for a busy agent${version > 1 ? ', starting with what the customer asks for' : ''}. Keep it under three sentences.`,
          '  - role: user',
          '    content: "Ticket:\\n\\n{{ticket}}"',
          'variables: [ticket]',
          'tests:',
          '  minPassRate: 0.8',
          '  cases:',
          ...caseLines,
          '',
        ].join('\n'),
      );
    }
  }
  const dirs = new Set([...files.keys()].map((f) => f.split('/').slice(0, -1).join('/')).filter(Boolean));
  for (const d of dirs) await mkdir(join(dir, d), { recursive: true });
  await Promise.all([...files].map(([path, text]) => writeFile(join(dir, path), text)));
}
