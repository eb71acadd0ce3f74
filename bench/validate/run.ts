// Benchmark: validate a generated 5,000-file config repository; prints files/s and peak RSS.
// Target: under 2 s on a 2-core machine (cold first run). Run: npm run bench:validate [-- <file count>]
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject } from '../../src/config/index.ts';
import { generateRepo } from './generate.ts';

const count = Number(process.argv[2] ?? 5000);
const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-'));
const seconds = (ms: number): string => (ms / 1000).toFixed(2);
try {
  const files = await generateRepo(dir, count);
  // Figures mean little on a busy machine: say how busy it was.
  process.stdout.write(`cores: ${availableParallelism()}, load average at start: ${loadavg()[0]?.toFixed(2)}\n`);
  const runs: number[] = [];
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    const result = await loadProject(dir);
    runs.push(performance.now() - started);
    if (result.errors.length > 0)
      throw new Error(`generated repo has errors: ${JSON.stringify(result.errors.slice(0, 3))}`);
    if (run === 0)
      process.stdout.write(`loaded ${result.value?.files.size} resources, ${result.warnings.length} warnings\n`);
  }
  const first = runs[0] ?? 0;
  const best = Math.min(...runs);
  process.stdout.write(`files: ${files}\n`);
  process.stdout.write(
    `first run (cold, includes schema compile and parse-worker start): ${seconds(first)} s, ${Math.round(files / (first / 1000))} files/s\n`,
  );
  process.stdout.write(`best of 3: ${seconds(best)} s, ${Math.round(files / (best / 1000))} files/s\n`);
  process.stdout.write(`peak RSS (this process, 3 runs): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`);

  // What a user waits for: a fresh `switchyard validate` process, module loading included.
  const bin = join(import.meta.dirname, '../../bin/switchyard.mjs');
  const started = performance.now();
  const cli = spawnSync(process.execPath, [bin, 'validate', dir], { encoding: 'utf8' });
  const whole = performance.now() - started;
  if (cli.status !== 0) throw new Error(`switchyard validate exited ${cli.status}: ${cli.stdout}${cli.stderr}`);
  process.stdout.write(`whole process (node bin/switchyard.mjs validate): ${seconds(whole)} s\n`);
  process.stdout.write(`target: < 2 s for 5,000 files — ${first < 2000 ? 'met' : 'NOT met'} (cold run)\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
