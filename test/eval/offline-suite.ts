/**
 * The shared set-up of the eval suites: one offline model server (its counters are what the tests
 * assert on), an endpoint on it, and demo repositories cleaned up after the file's tests.
 */
import { afterAll, beforeAll } from 'vitest';
import { openModelEndpoint, startModelServer, type ModelEndpoint, type ModelServer } from '../../src/eval/index.ts';
import { makeDemoRepo, type DemoRepo } from './demo-repo.ts';

export interface OfflineSuite {
  readonly server: ModelServer;
  readonly endpoint: ModelEndpoint;
  /** A fresh demo repository, removed after the suite. */
  repo(): Promise<DemoRepo>;
}

/** Registers the suite's beforeAll/afterAll; call at the top level of a test file. */
export function offlineSuite(): OfflineSuite {
  let server: ModelServer | undefined;
  let endpoint: ModelEndpoint | undefined;
  const repos: DemoRepo[] = [];
  beforeAll(async () => {
    server = await startModelServer();
    endpoint = await openModelEndpoint({}, { server });
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all(repos.map((r) => r.cleanup()));
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('offlineSuite: used outside a test');
    return value;
  };
  return {
    get server() {
      return ready(server);
    },
    get endpoint() {
      return ready(endpoint);
    },
    async repo() {
      const r = await makeDemoRepo();
      repos.push(r);
      return r;
    },
  };
}
