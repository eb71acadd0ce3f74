/**
 * Entry point of `npm run chat-service`: the service's command line with this repository's demo
 * kit, so that with no flags it runs on the offline model server and the repository's demo config.
 * `../src/main.ts` is the same command line without the kit (published bundles and a model
 * endpoint only), the way an application deploys it.
 */
import { runCli } from '../src/cli.ts';
import { demoKit } from './kit.ts';

process.exitCode = await runCli(
  process.argv.slice(2),
  process.env,
  {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
  },
  process,
  demoKit,
);
