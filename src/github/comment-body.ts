/** GitHub rejects issue comments longer than this many characters. */
export const MAX_COMMENT_CHARS = 65_536;

/** The hidden marker that identifies Switchyard's report comment on a pull request. */
export const REPORT_MARKER = '<!-- switchyard:report -->';

/**
 * Puts the marker first and keeps the whole body under GitHub's limit, cutting at a line break and
 * saying so (a half-sent report must never look complete).
 */
export function stickyBody(marker: string, body: string, maxChars = MAX_COMMENT_CHARS): string {
  const head = `${marker}\n`;
  const full = head + body;
  if (full.length <= maxChars) return full;
  const note =
    "\n\n> ✂ The report was cut to fit GitHub's comment size; the full report is in the job summary and the `switchyard-report` artifact.\n";
  const room = maxChars - head.length - note.length;
  let cut = body.slice(0, Math.max(0, room));
  const lastBreak = cut.lastIndexOf('\n');
  if (lastBreak > room / 2) cut = cut.slice(0, lastBreak);
  return head + cut + note;
}
