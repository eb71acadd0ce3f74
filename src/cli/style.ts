/**
 * Terminal colour for the CLI's own output. On only when the stream is a TTY, unless overridden:
 * `FORCE_COLOR` (any value but `0`/`false`) turns it on even into a pipe, `NO_COLOR` (any non-empty
 * value, https://no-color.org) or `TERM=dumb` turns it off. FORCE_COLOR wins over NO_COLOR, as in
 * Node's own util.inspect and most CLIs.
 */
export interface Style {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

export const COLOR: Style = {
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  bold: wrap(1, 22),
  dim: wrap(2, 22),
};

const same = (text: string): string => text;
export const PLAIN: Style = { red: same, green: same, yellow: same, bold: same, dim: same };

/** Whether to colour a stream. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export const styleOf = (color: boolean | undefined): Style => (color ? COLOR : PLAIN);
