/**
 * Entry point: `npm run chat-service` (tsx runs the TypeScript sources, like the CLI). See README.md.
 */
import { runCli } from './cli.ts';

process.exitCode = await runCli(process.argv.slice(2), process.env, {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
});
