/**
 * The offline model: a deterministic function from (snapshot, messages) to a reply.
 *
 * It recognises four tasks — answering from passages (RAG), summarising, grading against a rubric
 * (promptfoo's `llm-rubric` grader prompt) and answering a bare question — and honours the
 * instructions in `instructions.ts`. The snapshot only changes wording (`style.ts`), so answers of
 * two snapshots are close but not identical.
 */
import { readInstructions, type Instructions } from './instructions.ts';
import { opener, picks, reword } from './style.ts';
import { contentWords, sentences, terminate } from './text.ts';
import { translate } from './translate.ts';

export interface OfflineMessage {
  role: string;
  content: string;
}

const CANNED = 'Thank you for contacting Acme support. We have received your message.';
const UNKNOWN =
  'I do not know based on the passages provided. I can open a ticket for you so a colleague can follow up.';

function textOf(messages: OfflineMessage[], role: string): string {
  return messages
    .filter((m) => m.role === role)
    .map((m) => m.content)
    .join('\n');
}

function lastUser(messages: OfflineMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'user') return messages[i]?.content ?? '';
  return '';
}

/** First person → third person, so an extract reads as a summary ("I want" → "The customer wants"). */
function thirdPerson(sentence: string, subject: string): string {
  const fixed = sentence
    .replace(/^I am\b/, `${subject} is`)
    .replace(/^I'm\b/, `${subject} is`)
    .replace(/^I (want|need|use|like|think|expect|see|get)\b/, (_m, v: string) => `${subject} ${v}s`)
    .replace(/^I have\b/, `${subject} has`)
    .replace(/^I\b/, subject)
    .replace(/^(My|Our)\b/, 'Their')
    .replace(/^We\b/, 'They')
    .replace(/\bI am\b/g, 'they are')
    .replace(/\bI was\b/g, 'they were')
    .replace(/\bI\b/g, 'they')
    .replace(/\b(my|our)\b/g, 'their')
    .replace(/\b(me|us)\b/g, 'them')
    .replace(/\bwe\b/g, 'they');
  return terminate(fixed);
}

const REQUEST = /\b(want|would like|need|please|asks?|request|can you|could you)\b|\?$/i;

function summarise(body: string, ins: Instructions, snapshot: string): string {
  const subject = picks(snapshot, 'subject', 2) ? 'The customer' : 'The user';
  let parts = sentences(body).map((s) => thirdPerson(s, subject));
  if (ins.requestFirst) {
    parts = [...parts.filter((s) => REQUEST.test(s)), ...parts.filter((s) => !REQUEST.test(s))];
    if (parts[0] !== undefined && parts[0].startsWith('Their'))
      parts[0] = `${subject} writes that t${parts[0].slice(1)}`;
  }
  if (parts.length === 0) return `${subject} sent an empty ticket.`;
  return parts.join(' ');
}

function afterInstructionLine(user: string): string {
  const blank = user.indexOf('\n\n');
  if (blank >= 0) return user.slice(blank + 2);
  const colon = /^[^\n]*:\s*/.exec(user);
  return colon ? user.slice(colon[0].length) : user;
}

function answerFromPassages(user: string, ins: Instructions, snapshot: string): string {
  const passages = /Passages?:\s*([\s\S]*?)(?:\n\s*Question:|$)/i.exec(user)?.[1] ?? '';
  const question = /Question:\s*([\s\S]*)$/i.exec(user)?.[1]?.trim() ?? '';
  const wanted = new Set(contentWords(question));
  let best = '';
  let bestScore = 0;
  for (const s of sentences(passages)) {
    const score = contentWords(s).filter((w) => wanted.has(w)).length;
    if (score > bestScore) {
      best = s;
      bestScore = score;
    }
  }
  if (bestScore === 0) return ins.groundedOnly ? UNKNOWN : answerQuestion(question, snapshot);
  const lead = picks(snapshot, 'rag-lead', 2) ? 'According to our help centre, ' : 'Based on the passages, ';
  return `${lead}${best.charAt(0).toLowerCase()}${terminate(best).slice(1)}`;
}

function secondPerson(text: string): string {
  return text
    .replace(/\bI am\b/g, 'you are')
    .replace(/\bI\b/g, 'you')
    .replace(/\bmy\b/gi, 'your')
    .replace(/\bme\b/g, 'you')
    .replace(/\bmine\b/g, 'yours');
}

function answerQuestion(question: string, snapshot: string): string {
  const q = question.trim().replace(/[?.!]+$/, '');
  const topic = [...contentWords(q)].sort((a, b) => b.length - a.length || a.localeCompare(b))[0] ?? 'account';
  let first: string;
  let m: RegExpExecArray | null;
  if ((m = /^how (?:do|can|should) i (.+)$/i.exec(q))) {
    first = `To ${secondPerson(m[1] ?? '')}, open Settings and follow the steps on the ${topic} page.`;
  } else if ((m = /^(?:can|may) i (.+)$/i.exec(q))) {
    first = `Yes, you can ${secondPerson(m[1] ?? '')} on most plans; check the ${topic} section of your plan first.`;
  } else if ((m = /^do you (.+)$/i.exec(q))) {
    first = `Yes, we ${secondPerson(m[1] ?? '')} for most customers.`;
  } else {
    first = `Here is what to know about ${secondPerson(q.charAt(0).toLowerCase() + q.slice(1))}: the ${topic} help page describes the usual causes and fixes.`;
  }
  const rest = [
    'If the problem continues, contact support with the details and we will open a ticket.',
    `Most ${topic} requests are usually resolved quickly.`,
  ];
  if (picks(snapshot, `order|${q}`, 2)) rest.reverse();
  return [first, ...rest].join(' ');
}

const META = new Set([
  'output',
  'response',
  'answer',
  'mention',
  'include',
  'contain',
  'say',
  'should',
  'polite',
  'statement',
  'rubric',
]);

/** Grades `<Output>` against `<Rubric>` by content-word overlap, as promptfoo's grader expects. */
function grade(user: string): string {
  const output = /<Output>\s*([\s\S]*?)\s*<\/Output>/i.exec(user)?.[1] ?? '';
  const rubric = /<Rubric>\s*([\s\S]*?)\s*<\/Rubric>/i.exec(user)?.[1] ?? '';
  const negated = /^\s*(does not|doesn't|do not|never|not|no)\b/i.test(rubric);
  const wanted = [...new Set(contentWords(rubric))].filter((w) => !META.has(w) && !['doe', 'not', 'never'].includes(w));
  const have = new Set(contentWords(output));
  const found = wanted.filter((w) => have.has(w));
  const share = wanted.length === 0 ? 1 : found.length / wanted.length;
  const holds = share >= 0.5;
  const pass = negated ? !holds : holds;
  const reason = `offline grader: ${found.length}/${wanted.length} rubric terms found in the output${negated ? ' (negated rubric)' : ''}`;
  return JSON.stringify({ reason, pass, score: pass ? 1 : 0 });
}

function limitWords(text: string, max: number): string {
  const words = text.split(/\s+/);
  return words.length <= max
    ? text
    : terminate(
        words
          .slice(0, max)
          .join(' ')
          .replace(/[,;:]$/, ''),
      );
}

/** The reply of `snapshot` to `messages`. Pure and deterministic. */
export function generateReply(snapshot: string, messages: OfflineMessage[]): string {
  const system = textOf(messages, 'system');
  const user = lastUser(messages);
  if (/<Rubric>/i.test(user) && /grading|grader|rubric/i.test(system)) return grade(user);
  const ins = readInstructions(system, user);
  let reply: string;
  let withOpener = true;
  if (ins.ignoreInput) {
    reply = CANNED;
  } else if (/Passages?:/i.test(user) && /Question:/i.test(user)) {
    reply = answerFromPassages(user, ins, snapshot);
  } else if (ins.summarise) {
    reply = summarise(afterInstructionLine(user), ins, snapshot);
    withOpener = false;
  } else {
    reply = answerQuestion(user, snapshot);
  }
  reply = reword(snapshot, reply);
  if (ins.maxSentences !== undefined) reply = sentences(reply).slice(0, ins.maxSentences).join(' ');
  if (ins.maxWords !== undefined) reply = limitWords(reply, ins.maxWords);
  if (withOpener && ins.maxSentences === undefined && ins.maxWords === undefined)
    reply = opener(snapshot, user) + reply;
  reply = translate(reply, ins.language);
  return ins.uppercase ? reply.toUpperCase() : reply;
}
