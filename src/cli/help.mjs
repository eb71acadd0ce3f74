// The top-level help and version, in plain JavaScript on purpose: bin/switchyard.mjs answers
// `switchyard --help` and `--version` from here before it starts tsx (which alone costs more than
// the rest of node's start-up), and main.ts uses the same text. Types: help.d.mts.
import { readFileSync } from 'node:fs';

/** Command name → one-line summary, in the order `--help` lists them (src/cli/command-list.json). */
export const COMMAND_SUMMARIES = JSON.parse(readFileSync(new URL('./command-list.json', import.meta.url), 'utf8'));

/** `switchyard --help`. */
export function topLevelHelp() {
  const lines = ['Usage: switchyard <command> [options]', '', 'Commands:'];
  for (const [name, summary] of Object.entries(COMMAND_SUMMARIES)) lines.push(`  ${name.padEnd(14)} ${summary}`);
  lines.push(
    '',
    'Options:',
    '  -h, --help     show this list, or with a command its options',
    '  -v, --version  print the version',
    '',
    'Run `switchyard <command> --help` for the options of one command.',
  );
  return lines.join('\n');
}

/** `switchyard --version`: the package version and the Node.js running it. */
export function versionText() {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return `switchyard ${version} (node ${process.version})`;
}

/** What the entry point answers without loading any command: `{ text, code }`, or undefined. */
export function quickAnswer(argv) {
  const [first] = argv;
  if (first === undefined) return { text: topLevelHelp(), code: 2 };
  if (first === '--help' || first === '-h' || first === 'help')
    return argv.length === 1 ? { text: topLevelHelp(), code: 0 } : undefined;
  if (first === '--version' || first === '-v' || first === 'version') return { text: versionText(), code: 0 };
  return undefined;
}
