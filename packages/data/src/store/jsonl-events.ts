/**
 * JSON Lines of runtime events (what `createJsonlFileSink` writes) → stamped events the store
 * writes idempotently. A line's identity is its content: `source` is `jsonl:` + the first 32 hex
 * digits of the line's sha256, `seq` counts earlier identical lines. Loading the same file again —
 * or a longer version of it, or the same events from stdin — stores nothing twice, and two
 * identical events on two lines stay two events.
 */
import { createHash } from 'node:crypto';
import type { SwitchyardEvent } from './events.ts';
import { validateEvent } from './validate-event.ts';
import type { StampedEvent } from './insert.ts';

export interface JsonlProblem {
  /** 1-based line number. */
  line: number;
  message: string;
}

/** Stamps the events of `lines` (blank lines skipped); bad lines are reported, never guessed at. */
export function stampJsonlEvents(lines: Iterable<string>): { events: StampedEvent[]; problems: JsonlProblem[] } {
  const events: StampedEvent[] = [];
  const problems: JsonlProblem[] = [];
  const seen = new Map<string, number>();
  let n = 0;
  for (const raw of lines) {
    n++;
    const text = raw.trim();
    if (text === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      problems.push({ line: n, message: `not JSON (${(e as Error).message})` });
      continue;
    }
    const refused = validateEvent(value);
    if (refused !== null) {
      problems.push({ line: n, message: `event refused: ${refused}` });
      continue;
    }
    const source = `jsonl:${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    const seq = seen.get(source) ?? 0;
    seen.set(source, seq + 1);
    events.push({ source, seq, event: value as SwitchyardEvent });
  }
  return { events, problems };
}
