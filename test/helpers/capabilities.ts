/**
 * What a test needs from the machine beyond Node — a reachable PostgreSQL, a network namespace
 * (`unshare -n`), a private mount namespace with tmpfs (`unshare -m`, root) — checked once per test
 * process. Every test that needs one goes through `needs()` (docs/testing.md):
 *
 * - the capability is there: the tests run;
 * - it is missing on a developer machine: the tests are skipped, and the reason is printed and
 *   carried in the skipped suite's title;
 * - it is missing under `CI=true` or `SWITCHYARD_REQUIRE_CAPABILITIES=1` (`.ci/run` sets it): the
 *   test file fails with the reason, so CI can never pass by skipping.
 */
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { unshareProblem } from '../../bench/pipeline/netns.ts';

export type Capability = 'postgres' | 'netns' | 'mountns';

/** The PostgreSQL the tests use: `SWITCHYARD_TEST_DATABASE_URL`, else the local server CI starts. */
export const PG_URL = process.env.SWITCHYARD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Need {
  /** True when a capability is missing (and missing ones are allowed: not CI). */
  skip: boolean;
  /** Why the tests are skipped; undefined when they run. */
  reason: string | undefined;
  /** The suite title, with the skip reason appended when skipped (so every reporter shows it). */
  title(name: string): string;
}

/** True when a missing capability must fail the run instead of skipping (CI, `.ci/run`). */
export function capabilitiesRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.SWITCHYARD_REQUIRE_CAPABILITIES === '1';
}

const probes: Record<Capability, () => Promise<string | undefined>> = {
  postgres: postgresProblem,
  netns: async () => unshareProblem(),
  mountns: async () => mountNamespaceProblem(),
};

const cache = new Map<Capability, Promise<string | undefined>>();

/** Why `capability` is unavailable on this machine, or undefined when it is there (cached per process). */
export function capabilityProblem(capability: Capability): Promise<string | undefined> {
  let probe = cache.get(capability);
  if (!probe) {
    probe = probes[capability]();
    cache.set(capability, probe);
  }
  return probe;
}

/**
 * Checks the capabilities a test file needs. Missing ones skip (reason printed) or, when
 * `capabilitiesRequired()`, throw — failing the file with the reason.
 */
export async function needs(...capabilities: Capability[]): Promise<Need> {
  const problems = (await Promise.all(capabilities.map(async (c) => [c, await capabilityProblem(c)] as const))).filter(
    ([, p]) => p !== undefined,
  );
  if (problems.length === 0) return { skip: false, reason: undefined, title: (name) => name };
  const reason = problems.map(([c, p]) => `${c}: ${p}`).join('; ');
  if (capabilitiesRequired()) {
    throw new Error(
      `missing capability (CI=true or SWITCHYARD_REQUIRE_CAPABILITIES=1 make this a failure, not a skip) — ${reason}`,
    );
  }
  process.stderr.write(`[capabilities] skipping: ${reason}\n`);
  return { skip: true, reason, title: (name) => `${name} [skipped: ${reason}]` };
}

async function postgresProblem(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL is not reachable at ${redact(PG_URL)} (set SWITCHYARD_TEST_DATABASE_URL): ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

function mountNamespaceProblem(): string | undefined {
  try {
    execFileSync(
      'unshare',
      ['-m', '--', 'sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs "$d" && umount "$d" && rmdir "$d"'],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 },
    );
    return undefined;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    const detail =
      e.code === 'ENOENT'
        ? 'the `unshare` command is not installed (util-linux)'
        : e.stderr?.toString().trim() || e.message;
    return `cannot mount a tmpfs in a private mount namespace (\`unshare -m\` + \`mount -t tmpfs\`; needs root or CAP_SYS_ADMIN): ${detail}`;
  }
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
