#!/usr/bin/env node
// Entry point for the `switchyard` command. The evaluator is written in TypeScript and run through
// tsx, so the repository needs no build step: `npm ci` and the CLI works.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
