import type { Command } from '../command.ts';

// Placeholder until the conversations migration runner lands (issue 8); replaced by its owner.
export const command: Command = {
  name: 'migrate conversations',
  summary: 'not built yet',
  usage: 'Usage: switchyard migrate conversations (not built yet)',
  async run(_argv, io) {
    io.stderr('switchyard migrate conversations: E_NOT_BUILT this subcommand is not built yet');
    return 1;
  },
};
