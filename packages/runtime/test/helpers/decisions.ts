/**
 * Runtime decisions over the shared conformance bundles (test/conformance/bundle/published): the
 * answers any runtime, in any language, must give for the same bundle and unit keys. Computed from
 * the verified published bytes; `test/conformance/runtime-decisions.json` holds the expected list
 * (regenerate with `npx tsx packages/runtime/test/helpers/generate-decisions.ts`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { bucketOf, buildTable, Engine, parseTrustedKeys, verifyManifest, verifyPayload } from '../../src/tools.ts';

export const CONFORMANCE = fileURLToPath(new URL('../../../../test/conformance/', import.meta.url));
export const DECISIONS_FILE = join(CONFORMANCE, 'runtime-decisions.json');
export const UNITS = [
  'user-0',
  'user-1',
  'user-2',
  'user-3',
  'user-7',
  'user-42',
  'user-99',
  'user-1000',
  'alice@example.com',
  'é',
  '日本',
  '😀',
  '',
];

export interface Decision {
  call: string;
  args: unknown[];
  value: unknown;
  reason: string;
  /** Bucket of the unit under the deciding seed, when one applies (explains the answer). */
  bucket?: number;
}

export function loadEngine(env: string): { engine: Engine; sha256: string } {
  const dir = join(CONFORMANCE, 'bundle', 'published', env);
  const manifest = readFileSync(join(dir, 'manifest.json'));
  const keys = parseTrustedKeys(readFileSync(join(CONFORMANCE, 'bundle', 'trusted-keys.json'), 'utf8'));
  if (!keys.ok) throw new Error(keys.message);
  // The vectors are frozen in time: verify them at their own creation time.
  const created = Date.parse(JSON.parse(manifest.toString('utf8')).signed.createdAt as string);
  const vm = verifyManifest(manifest, { trustedKeys: keys.value, env, now: created + 1000 });
  if (!vm.ok) throw new Error(`${vm.code}: ${vm.message}`);
  const s = vm.value.signed;
  const [file] = readdirSync(join(dir, 'payload')).filter((f) => f === `${s.payload.sha256}.json`);
  if (file === undefined) throw new Error(`payload ${s.payload.sha256} missing`);
  const vp = verifyPayload(readFileSync(join(dir, 'payload', file)), { ...s.payload, env: s.env, commit: s.commit });
  if (!vp.ok) throw new Error(`${vp.code}: ${vp.message}`);
  const built = buildTable(vp.value, {
    serial: s.serial,
    env: s.env,
    commit: s.commit,
    createdAt: created,
    expiresAt: Date.parse(s.expires),
    payloadSha256: s.payload.sha256,
  });
  if (!built.ok) throw new Error(built.message);
  const engine = new Engine();
  engine.swap(built.table);
  return { engine, sha256: s.payload.sha256 };
}

export function computeDecisions(env: string): { env: string; payloadSha256: string; decisions: Decision[] } {
  const { engine, sha256 } = loadEngine(env);
  const t = engine.table()!;
  const p = t.payload;
  const out: Decision[] = [];
  for (const flag of Object.keys(p.flags).sort()) {
    for (const u of UNITS) {
      const r = engine.isEnabled(flag, { unitKey: u });
      out.push({
        call: 'isEnabled',
        args: [flag, u],
        value: r.value,
        reason: r.reason,
        bucket: bucketOf(p.flags[flag]!.seed, u),
      });
    }
  }
  for (const alias of Object.keys(p.models).sort()) {
    const m = p.models[alias]!;
    for (const u of UNITS) {
      const r = engine.resolveModel(alias, { unitKey: u });
      out.push({
        call: 'resolveModel',
        args: [alias, u],
        value: r.value,
        reason: r.reason,
        ...(m.rollout ? { bucket: bucketOf(p.flags[m.rollout]!.seed, u) } : {}),
      });
    }
    const pinned = engine.resolveModel(alias, { unitKey: 'user-1', conversation: { snapshot: m.snapshot } });
    out.push({
      call: 'resolveModel',
      args: [alias, 'user-1', { snapshot: m.snapshot }],
      value: pinned.value,
      reason: pinned.reason,
    });
    for (const retired of m.retired) {
      const r = engine.resolveModel(alias, { unitKey: 'user-1', conversation: { snapshot: retired } });
      out.push({
        call: 'resolveModel',
        args: [alias, 'user-1', { snapshot: retired }],
        value: r.value,
        reason: r.reason,
      });
    }
    for (let i = 0; i < 5; i++) {
      const r = engine.shadow(alias, { unitKey: 'user-2', requestId: `req-${i}` });
      out.push({ call: 'shadow', args: [alias, 'user-2', `req-${i}`], value: r.value, reason: r.reason });
    }
  }
  for (const id of Object.keys(p.experiments).sort()) {
    for (const u of UNITS) {
      const r = engine.assignExperiment(id, { unitKey: u });
      out.push({
        call: 'assignExperiment',
        args: [id, u],
        value: r.value,
        reason: r.reason,
        bucket: bucketOf(p.experiments[id]!.seed, u),
      });
    }
  }
  for (const name of Object.keys(p.prompts).sort()) {
    for (const u of UNITS) {
      const r = engine.getPrompt(name, { unitKey: u });
      out.push({
        call: 'getPrompt',
        args: [name, u],
        value:
          r.value === null
            ? null
            : { version: r.value.version, variant: r.value.variant, model: r.value.model.snapshot },
        reason: r.reason,
      });
    }
  }
  for (const id of Object.keys(p.canaries).sort()) {
    for (const u of UNITS) {
      const r = engine.canary(id, { unitKey: u });
      out.push({
        call: 'canary',
        args: [id, u],
        value: r.value?.variant ?? null,
        reason: r.reason,
        bucket: bucketOf(p.flags[id]!.seed, u),
      });
    }
  }
  for (const id of Object.keys(p.embeddingMigrations).sort()) {
    const r = engine.embeddingRoute(id);
    out.push({
      call: 'embeddingRoute',
      args: [id],
      value:
        r.value === null
          ? null
          : { phase: r.value.phase, write: r.value.write.map((x) => x.index), read: r.value.read.map((x) => x.index) },
      reason: r.reason,
    });
  }
  return { env, payloadSha256: sha256, decisions: out };
}
