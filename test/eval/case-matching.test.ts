/**
 * Each promptfoo result goes to the case it answers (issue 13): results are matched by the case id
 * in the test's metadata, never by promptfoo's positional `testIdx`, which counts expanded tests. A
 * list variable is one value (promptfoo's var expansion is off), and a case that gets other than
 * one result errors instead of borrowing a neighbour's answer. Real promptfoo, offline server.
 */
import { describe, expect, it } from 'vitest';
import {
  affectedTargets,
  buildCases,
  DEFAULT_EMBEDDING_MODEL,
  DEFAULT_GRADER_MODEL,
  openCaseCache,
  openWorkspace,
  runEval,
} from '../../src/eval/index.ts';
import { routeFor } from '../../src/eval/model-routes.ts';
import { runPromptfooBatch } from '../../src/eval/promptfoo-batch.ts';
import { loadPromptfoo, type PromptfooModule } from '../../src/eval/promptfoo-env.ts';
import { join } from 'node:path';
import { offlineSuite } from './offline-suite.ts';

const suite = offlineSuite();
const V2 = 'prompts/summarization/v2.yaml';
const TARGET = 'summarization@v2:gpt-4o-2024-05-13';

describe('promptfoo results are matched to cases by id', () => {
  it('passes a list variable as one value: every case keeps its own answer and cache key', async () => {
    const r = await suite.repo();
    await r.edit(V2, (t) =>
      t
        .replace('content: "Ticket:\\n\\n{{ticket}}"', 'content: "Ticket:\\n\\n{{ticket}}\\n\\nTags: {{tags}}"')
        .replace('variables: [ticket]', 'variables: [ticket, tags]')
        .replace('  minPassRate: 0.8\n', '  minPassRate: 0.8\n  defaultTest:\n    vars:\n      tags: none\n')
        .replace(
          '      vars:\n        ticket: I was charged twice',
          '      vars:\n        tags: [billing, refund]\n        ticket: I was charged twice',
        ),
    );
    const ws = await openWorkspace(r.dir, undefined);
    expect(ws.errors).toEqual([]);
    const cache = openCaseCache(join(r.dir, '.switchyard', 'matching-cache'));
    suite.server.resetStats();
    const run = await runEval({
      head: ws.head!,
      base: undefined,
      baseRef: null,
      endpoint: suite.endpoint,
      concurrency: 4,
      cache,
    });
    expect(run.stats).toMatchObject({ cases: 14, errors: 0 });
    // One model call per case: the list did not turn the refund case into two tests.
    expect(suite.server.stats.chat).toBe(14);
    const mine = run.cases.filter((c) => c.target === TARGET);
    expect(mine.map((c) => c.description)).toEqual([
      'refund request keeps the key facts',
      'outage report mentions the outage',
      'password reset',
      'stays close to the reference summary',
    ]);
    // Each answer is about its own ticket (the outage case does not get the refund answer).
    expect(mine[0]?.output).toMatch(/refund/i);
    expect(mine[1]?.output).toMatch(/502/);
    expect(mine[2]?.output).toMatch(/password/i);
    expect(mine[1]?.status).toBe('pass');
    // And each verdict is cached under its own case's key.
    for (const c of mine) expect((await cache.get(c.key))?.output).toBe(c.output);
  });

  it('errors a case that gets more than one result instead of shifting the others', async () => {
    const r = await suite.repo();
    const head = (await openWorkspace(r.dir, undefined)).head!;
    const cases = buildCases(
      head,
      affectedTargets(head, undefined).filter((t) => t.id === TARGET),
      {
        endpointOf: () => 'offline',
        graderEndpoint: 'offline',
        graderModel: DEFAULT_GRADER_MODEL,
        embeddingModel: DEFAULT_EMBEDDING_MODEL,
        evaluator: 'promptfoo@test',
      },
    );
    expect(cases).toHaveLength(4);
    const real = await loadPromptfoo(r.dir, suite.endpoint);
    // Real promptfoo, told to run the first test twice (as a list variable or `repeat` would).
    const twice = {
      ...real,
      evaluate: (s: { tests: Array<{ options?: object }> }, o: unknown) =>
        real.evaluate(
          {
            ...s,
            tests: s.tests.map((t, i) => (i === 0 ? { ...t, options: { ...t.options, repeat: 2 } } : t)),
          } as never,
          o as never,
        ),
    } as unknown as PromptfooModule;
    const results = await runPromptfooBatch(twice, {
      cases,
      routeOf: (c) => routeFor(head.models.get(c.model), c.snapshot, suite.endpoint),
      grading: {
        endpoint: suite.endpoint,
        graderModel: DEFAULT_GRADER_MODEL,
        embeddingModel: DEFAULT_EMBEDDING_MODEL,
      },
      concurrency: 2,
    });
    const [first, outage, reset] = cases.map((c) => results.get(c.id));
    expect(first).toMatchObject({
      status: 'error',
      error: 'promptfoo returned 2 results for this case (one expected)',
    });
    expect(outage).toMatchObject({ status: 'pass' });
    expect(outage?.output).toMatch(/502/);
    expect(reset?.output).toMatch(/password/i);
  });
});
