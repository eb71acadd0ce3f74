/**
 * The curl examples of the READMEs run as written, in order, against the reference chat service
 * started as `npm run chat-service` starts it (its demo kit: demo config, offline model server, the
 * demo help-centre corpus indexed), with the variables the chat-service README names: `S` (the service),
 * `ID` (the conversation the first example created) and `REQ` (the last answer's request id). Each
 * example must succeed (HTTP 2xx, JSON) — or answer the status and error code its info string names
 * (`sh status=409 code=E_…`, for an example that shows a refusal) — and the answers must be real: the
 * chat turn answers from the corpus, the search finds it — not "I do not know".
 */
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKit } from '../../examples/chat-service/demo/kit.ts';
import { REPO_ROOT, runCli } from '../../examples/chat-service/src/cli.ts';
import { fencedBlocks } from './markdown-blocks.ts';
import { waitFor } from '../helpers/wait-for.ts';

const run = promisify(execFile);

const READMES = ['README.md', 'examples/chat-service/README.md'];

/** `curl` in the examples prints the HTTP status on a last line of its own. */
const PRELUDE = 'curl() { command curl --max-time 60 -w \'\\n%{http_code}\' "$@"; }\n';

interface Example {
  where: string;
  body: string;
  /** The HTTP status the example shows (`status=` tag), else any 2xx. */
  status?: number;
  /** The error code the example shows (`code=` tag). */
  code?: string;
}

function curlExamples(readme: string): Example[] {
  return fencedBlocks(readFileSync(join(REPO_ROOT, readme), 'utf8'))
    .filter((b) => b.lang === 'sh' && /^\s*curl /m.test(b.body))
    .map((b) => {
      const status = b.tags.find((t) => t.startsWith('status='))?.slice(7);
      const code = b.tags.find((t) => t.startsWith('code='))?.slice(5);
      return {
        where: `${readme}:${b.line}`,
        body: b.body,
        ...(status ? { status: Number(status) } : {}),
        ...(code ? { code } : {}),
      };
    });
}

describe('README curl examples against the running chat service', () => {
  const signals = new EventEmitter();
  const output: string[] = [];
  let exited: Promise<number>;
  let url: string;

  beforeAll(async () => {
    const io = { stdout: (l: string) => output.push(l), stderr: (l: string) => output.push(l) };
    exited = runCli(['--port', '0', '--in-memory', '--offline'], {}, io, signals, demoKit);
    let exitCode: number | undefined;
    void exited.then((code) => (exitCode = code));
    url = await waitFor(
      'the chat service to listen',
      () => {
        if (exitCode !== undefined)
          throw new Error(`chat-service exited ${exitCode} before listening:\n${output.join('\n')}`);
        return output.map((l) => /^chat-service listening on (\S+)/.exec(l)?.[1]).find(Boolean);
      },
      110_000,
    );
  }, 120_000);

  afterAll(async () => {
    signals.emit('SIGINT');
    await exited;
  });

  it('run in order with real answers', async () => {
    const examples = READMES.flatMap(curlExamples);
    expect(examples.length).toBeGreaterThanOrEqual(8);
    expect(output.join('\n')).toContain('indexed 14 demo help-centre documents');
    const vars: Record<string, string> = { S: url };
    const answers = new Map<string, unknown>();
    for (const example of examples) {
      const env = { ...process.env, ...vars };
      const result = await run('bash', ['-euo', 'pipefail', '-c', PRELUDE + example.body], {
        env,
        maxBuffer: 8 * 1024 * 1024,
      }).catch((error: { code?: number; stdout?: string; stderr?: string }) => {
        throw new Error(
          `${example.where} failed (exit ${error.code}):\n${example.body}\n--- stdout\n${error.stdout}\n--- stderr\n${error.stderr}`,
        );
      });
      const text = result.stdout.slice(0, result.stdout.lastIndexOf('\n'));
      const status = Number(result.stdout.slice(result.stdout.lastIndexOf('\n') + 1));
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new Error(`${example.where} did not answer JSON (HTTP ${status}):\n${text}`);
      }
      if (example.status === undefined) expect(status, `${example.where}: ${text}`).toBeGreaterThanOrEqual(200);
      expect(status, `${example.where}: ${text}`).toBe(example.status ?? (status < 300 ? status : 200));
      if (example.code) expect((body.error as { code?: string } | undefined)?.code, example.where).toBe(example.code);
      answers.set(example.where, body);
      const conversation = body.conversation as { id?: string } | undefined;
      if (vars.ID === undefined && typeof conversation?.id === 'string') vars.ID = conversation.id;
      if (typeof body.requestId === 'string') vars.REQ = body.requestId;
    }

    const turn = [...answers.values()].find((a) => (a as { reply?: unknown }).reply) as
      { reply: { content: string }; search: { hits: Array<{ id: string }> } } | undefined;
    expect(turn, 'a chat turn among the examples').toBeDefined();
    expect(turn!.reply.content).not.toMatch(/I do not know/i);
    // The offline model answers with the passages' sentences that match the question best.
    expect(turn!.reply.content).toMatch(/refund/i);
    expect(turn!.search.hits.map((h) => h.id)).toContain('kb-refund-timing');

    const search = [...answers.values()].find((a) => (a as { hits?: unknown }).hits) as
      { hits: Array<{ id: string }> } | undefined;
    expect(search?.hits.length, 'the search example finds documents').toBeGreaterThan(0);
    const recorded = [...answers.values()].find((a) => (a as { recorded?: unknown }).recorded) as
      { recorded: unknown[] } | undefined;
    expect(recorded?.recorded.length, 'the feedback example is attributed').toBeGreaterThan(0);
  }, 180_000);
});
