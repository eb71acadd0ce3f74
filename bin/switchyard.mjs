#!/usr/bin/env node
// Entry point for the `switchyard` command. The evaluator is written in TypeScript and run through
// tsx, so the repository needs no build step: `npm ci` and the CLI works. `--help` and `--version`
// are answered before tsx starts (it costs more than the rest of start-up; src/cli/help.mjs).
import { quickAnswer } from '../src/cli/help.mjs';

const argv = process.argv.slice(2);
const quick = quickAnswer(argv);
if (quick) {
  process.stdout.on('error', () => {}); // `switchyard --help | head -1`: a closed pipe is not an error
  process.stdout.write(`${quick.text}\n`);
  process.exitCode = quick.code;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { runCli } = await import('../src/cli/main.ts');
  process.exitCode = await runCli(argv);
}
