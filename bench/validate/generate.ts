import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes a synthetic, valid config repository with `count` resource files: models, prompts with
 * several versions each, flags and experiments, in realistic proportions and sizes.
 */
export async function generateRepo(dir: string, count: number): Promise<number> {
  const files = new Map<string, string>();
  files.set(
    'switchyard.yaml',
    [
      '# yaml-language-server: $schema=./schemas/switchyard.schema.json',
      'project: bench',
      'environments:\n  - name: staging\n  - name: production',
      'signing:\n  trustedKeys: []\n  expiresAfter: 30d',
      'publish:\n  target: dist/published',
      'defaults:\n  minPassRate: 0.8\n  shadowGate:\n    minAvgSimilarity: 0.9\n    minMinSimilarity: 0.7',
      'eval:\n  concurrency: 4',
    ].join('\n'),
  );
  const models = 50;
  for (let m = 0; m < models; m++) {
    files.set(
      `models/m${m}.yaml`,
      `# yaml-language-server: $schema=../schemas/model.schema.json\nalias: m${m}\nprovider:\n  type: openai\nsnapshot: gpt-4o-2024-05-13\nparams:\n  temperature: 0.2\nconversations: pinned\nretired: []\n`,
    );
  }
  let i = 0;
  while (files.size < count) {
    const kind = i % 5;
    if (kind <= 2) {
      const prompt = `p${Math.floor(i / 5)}`;
      const version = kind + 1;
      files.set(
        `prompts/${prompt}/v${version}.yaml`,
        [
          '# yaml-language-server: $schema=../../schemas/prompt-version.schema.json',
          `prompt: ${prompt}`,
          `version: ${version}`,
          `status: ${version === 1 ? 'active' : 'draft'}`,
          `model: m${i % models}`,
          'messages:',
          '  - role: system',
          '    content: You summarise support tickets in two sentences for a busy agent.',
          '  - role: user',
          '    content: "Summarise:\\n\\n{{ticket}}"',
          'variables: [ticket]',
          'tests:',
          '  minPassRate: 0.8',
          '  cases:',
          '    - vars:\n        ticket: I was charged twice for my plan.\n      assert:\n        - type: icontains\n          value: refund',
          '    - vars:\n        ticket: The dashboard shows error 502.\n      assert:\n        - type: icontains\n          value: "502"',
        ].join('\n'),
      );
    } else if (kind === 3) {
      files.set(
        `rollouts/f${i}.yaml`,
        `# yaml-language-server: $schema=../schemas/flag.schema.json\nkind: Flag\nflag: f${i}\npercent: 5\nstages: [1, 5, 25, 100]\nkilled: false\nunit: userId\nenvironments:\n  staging:\n    percent: 25\n`,
      );
    } else {
      const prompt = `p${Math.floor(i / 5)}`;
      files.set(
        `experiments/e${i}.yaml`,
        `# yaml-language-server: $schema=../schemas/experiment.schema.json\nexperiment: e${i}\nstatus: running\nprompt: ${prompt}\nunit: userId\ntraffic: 20\nvariants:\n  control:\n    version: 1\n    weight: 50\n  treatment:\n    version: 2\n    weight: 50\nmetrics:\n  primary: satisfaction\n  guardrails: [latency_ms]\nminSamples: 1000\n`,
      );
    }
    i++;
  }
  const dirs = new Set([...files.keys()].map((p) => p.split('/').slice(0, -1).join('/')).filter(Boolean));
  for (const d of dirs) await mkdir(join(dir, d), { recursive: true });
  await Promise.all([...files].map(([path, text]) => writeFile(join(dir, path), text)));
  return files.size;
}
