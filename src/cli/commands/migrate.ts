import { didYouMean } from '../../config/did-you-mean.ts';
import { UsageError, type Command } from '../command.ts';

/** Subcommand registry: lazy, so `migrate conversations` never loads the embeddings client. */
const subcommands: Record<string, () => Promise<{ command: Command }>> = {
  embeddings: () => import('./migrate-embeddings.ts'),
  conversations: () => import('./migrate-conversations.ts'),
};

const usage = `Usage: switchyard migrate <embeddings|conversations> [options]

Runs the data migrations declared in rollouts/ against the application's database:
  embeddings <id>   re-embed every document into the plan's target index (resumable), verify it,
                    advance the plan's phase, clean up the old index
  conversations     upgrade stored conversation records to the current schema version (resumable,
                    idempotent, --dry-run reports what would change)

Run \`switchyard migrate <subcommand> --help\` for its options.`;

export const command: Command = {
  name: 'migrate',
  usage,
  handlesHelp: true,
  subcommands: Object.keys(subcommands),
  async run(argv, io) {
    const [name, ...rest] = argv;
    if (!name || name === '--help' || name === '-h') {
      io.stdout(usage);
      return name ? 0 : 2;
    }
    const load = subcommands[name];
    if (!load) {
      const guess = didYouMean(name, Object.keys(subcommands));
      throw new UsageError(
        `unknown subcommand '${name}' (${guess ? `did you mean ${guess}?` : `expected ${Object.keys(subcommands).join(' or ')}`})`,
      );
    }
    const { command: sub } = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(sub.usage);
      return 0;
    }
    return sub.run(rest, io);
  },
};
