/** Fenced code blocks of Markdown documents, for tests that run what the docs show. */

export interface Block {
  lang: string;
  tags: string[];
  body: string;
  line: number;
}

/** Fenced code blocks of a Markdown document with their info string split into language and tags. */
export function fencedBlocks(markdown: string): Block[] {
  const out: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i] as string);
    if (!open || open[1] === '') continue;
    const start = i;
    const body: string[] = [];
    for (i += 1; i < lines.length && lines[i] !== '```'; i += 1) body.push(lines[i] as string);
    out.push({
      lang: open[1] as string,
      tags: (open[2] ?? '').split(/\s+/).filter(Boolean),
      body: body.join('\n'),
      line: start + 1,
    });
  }
  return out;
}
