/**
 * Text that came from a pull request (report strings, model outputs) is posted by our bot. Two
 * things must not pass through: hidden HTML comments (one could forge our sticky marker) and
 * @-mentions (a PR could make the bot ping people or teams).
 */
export function neutralizeUntrustedMarkdown(text: string): string {
  return text
    .replace(/<!--[\s\S]*?(-->|$)/g, '')
    .replace(/(^|[^\w`])@([A-Za-z0-9][\w-]*(?:\/[\w.-]+)?)/g, '$1@\u200B$2');
}
