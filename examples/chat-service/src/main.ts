/**
 * Entry point of the service on its own: published bundles (`--bundle-url`, `--trusted-keys`) and a
 * model endpoint (`--model-base-url` or `OPENAI_API_KEY`). `npm run chat-service` runs
 * `../demo/main.ts` instead, which adds the repository's demo kit (offline models, demo config).
 * See README.md.
 */
import { runCli } from './cli.ts';

process.exitCode = await runCli(process.argv.slice(2), process.env, {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
});
