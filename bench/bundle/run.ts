/**
 * Bundle benchmark: compile + sign + verify time and bundle size, for the demo organisation and for
 * a generated 5,000-resource config. Prints figures; asserts nothing (targets are judged by people).
 *
 *   npm run bench:bundle
 */

import { gzipSync } from 'node:zlib';
import { loadProject } from '../../src/config/index.ts';
import {
  buildSigned,
  compileBundle,
  generateSigningKey,
  manifestBytes,
  signManifest,
  trustedKeysFrom,
  verifyManifest,
  verifyPayload,
} from '../../src/bundle/index.ts';
import type { Project } from '../../src/config/types.ts';
import { generatedProject, resourceCount } from './generate.ts';

const COMMIT = 'b'.repeat(40);

function time<T>(runs: number, work: () => T): { median: number; result: T } {
  let result = work(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = work();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)]!, result };
}

const ms = (v: number) => (v < 1 ? `${(v * 1000).toFixed(0)} µs` : `${v.toFixed(1)} ms`);
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

function bench(name: string, project: Project, runs: number): void {
  const key = generateSigningKey();
  const trustedKeys = trustedKeysFrom([key.publicKey]);
  const compile = time(runs, () => compileBundle(project, { env: 'production', commit: COMMIT }));
  const compiled = compile.result.value;
  if (!compiled) throw new Error(`${name}: ${JSON.stringify(compile.result.errors.slice(0, 3))}`);
  const now = new Date();
  const signed = buildSigned({
    env: 'production',
    serial: 1,
    commit: COMMIT,
    createdAt: now,
    expires: new Date(now.getTime() + 86_400_000),
    payload: { sha256: compiled.sha256, length: compiled.bytes.byteLength },
  });
  const sign = time(runs, () => manifestBytes(signManifest(signed, [key])));
  const manifest = sign.result;
  const vm = time(runs, () => verifyManifest(manifest, { trustedKeys, env: 'production', now: now.getTime() }));
  if (!vm.result.ok) throw new Error(vm.result.code);
  const vp = time(runs, () =>
    verifyPayload(
      compiled.bytes,
      { ...signed.payload, env: 'production', commit: COMMIT },
      { maxBytes: 64 * 1024 * 1024 },
    ),
  );
  if (!vp.result.ok) throw new Error(`${vp.result.code}: ${vp.result.message}`);
  const jsonParse = time(runs, () => JSON.parse(new TextDecoder().decode(compiled.bytes)) as unknown);
  console.log(`\n${name}: ${resourceCount(project)} resources (median of ${runs} runs)`);
  console.log(`  compile (pure, incl. canonical JSON + sha256)  ${ms(compile.median)}`);
  console.log(`  sign manifest (Ed25519)                        ${ms(sign.median)}`);
  console.log(`  verifyManifest                                 ${ms(vm.median)}`);
  console.log(
    `  verifyPayload (length, sha256, strict parse, shape)  ${ms(vp.median)}   (JSON.parse alone: ${ms(jsonParse.median)})`,
  );
  console.log(
    `  payload ${kib(compiled.bytes.byteLength)} (gzip ${kib(gzipSync(compiled.bytes).byteLength)}), manifest ${manifest.byteLength} bytes`,
  );
}

const demo = await loadProject(process.cwd());
if (!demo.value || demo.errors.length > 0) {
  console.log(`demo organisation does not load (${demo.errors.length} errors); skipped`);
} else {
  bench('demo organisation', demo.value, 200);
}
bench('generated', generatedProject(5000), 15);
console.log(`\nnode ${process.version}, ${process.platform}/${process.arch}`);
