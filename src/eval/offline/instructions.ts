/**
 * The instructions the offline model understands. It is not a language model: it reads a small,
 * documented set of instruction patterns from the system (and user) messages and honours them
 * deterministically, so that a prompt edit has a real, testable effect on the output — a prompt
 * that says "reply in French" or "ignore the ticket" really produces output that fails its tests.
 */

export type Language = 'english' | 'french' | 'spanish' | 'german';

export interface Instructions {
  /** Reply language; non-English replies are word-for-word dictionary translations. */
  language: Language;
  /** The prompt tells the model to disregard the input: it answers with a canned line. */
  ignoreInput: boolean;
  maxSentences: number | undefined;
  maxWords: number | undefined;
  uppercase: boolean;
  /** Answer only from supplied passages; say "I do not know" when they do not cover the question. */
  groundedOnly: boolean;
  /** Lead with what the customer asks for. */
  requestFirst: boolean;
  /** The task is a summary. */
  summarise: boolean;
}

const NUMBER_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  a: 1,
  single: 1,
};

function toNumber(word: string): number | undefined {
  const n = Number(word);
  if (Number.isInteger(n) && n > 0) return n;
  return NUMBER_WORDS[word.toLowerCase()];
}

function limit(text: string, unit: 'sentences?' | 'words?'): number | undefined {
  const re = new RegExp(
    `\\b(under|fewer than|less than|at most|no more than|up to|within|in|to|using)\\s+(\\w+)\\s+${unit}\\b`,
    'i',
  );
  const m = re.exec(text);
  if (m) {
    const n = toNumber(m[2] ?? '');
    if (n === undefined) return undefined;
    const strict = /^(under|fewer than|less than)$/i.test(m[1] ?? '');
    return Math.max(1, strict ? n - 1 : n);
  }
  const bare = new RegExp(`\\b(one|a single)\\s+${unit.replace('?', '')}\\b`, 'i').exec(text);
  return bare ? 1 : undefined;
}

/** Reads the instructions out of the system text (the user text can add to them). */
export function readInstructions(system: string, user: string): Instructions {
  const text = `${system}\n${user.split('\n')[0] ?? ''}`;
  const lang = /\b(?:in|into|only in|always in|answer in|reply in|respond in)\s+(french|spanish|german)\b/i.exec(text);
  return {
    language: (lang?.[1]?.toLowerCase() as Language | undefined) ?? 'english',
    ignoreInput: /\b(ignore|disregard)\s+(the|any|all)\s+(ticket|input|question|passages|message|user)/i.test(text),
    maxSentences: limit(text, 'sentences?'),
    maxWords: limit(text, 'words?'),
    uppercase: /\b(all caps|in uppercase|in upper case|capital letters)\b/i.test(text),
    groundedOnly: /\bonly (from|on|using) the (passages|context|documents|sources)\b/i.test(text),
    requestFirst: /\b(start|begin|lead) with (what|the request|the ask)/i.test(text),
    summarise: /\bsummar(ise|ize|y|ies)/i.test(text),
  };
}
