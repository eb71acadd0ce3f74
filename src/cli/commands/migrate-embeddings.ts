import type { Command } from '../command.ts';

// Placeholder until the embeddings migration runner lands (issue 8); replaced by its owner.
export const command: Command = {
  name: 'migrate embeddings',
  summary: 'not built yet',
  usage: 'Usage: switchyard migrate embeddings (not built yet)',
  async run(_argv, io) {
    io.stderr('switchyard migrate embeddings: E_NOT_BUILT this subcommand is not built yet');
    return 1;
  },
};
