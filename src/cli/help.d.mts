/** Command name → one-line summary, in the order `--help` lists them. */
export declare const COMMAND_SUMMARIES: Readonly<Record<string, string>>;
/** `switchyard --help`. */
export declare function topLevelHelp(): string;
/** `switchyard --version`. */
export declare function versionText(): string;
/** What the entry point answers without loading any command, or undefined. */
export declare function quickAnswer(argv: readonly string[]): { text: string; code: number } | undefined;
