/**
 * The shape check for events that arrive from outside the process (JSONL files, the HTTP
 * collector): what the store's columns need, with a message naming the first field that is wrong.
 * Events the runtime emits in-process already have this shape.
 */
import type { SwitchyardEvent } from './events.ts';

const SUBJECTS = new Set(['experiment', 'flag', 'canary', 'model-rollout']);

type Check = { event: SwitchyardEvent } | { error: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The event, or why it is not one (`field: problem`). Never throws. */
export function checkEvent(value: unknown): Check {
  if (!isObject(value)) return { error: 'event: not a JSON object' };
  const str = (k: string, optional = false): string | null =>
    value[k] === undefined && optional ? null : typeof value[k] === 'string' && (value[k] as string).length <= 10_000 ? null : `${k}: expected a string`;
  const num = (k: string, optional = false): string | null => (value[k] === undefined && optional ? null : typeof value[k] === 'number' && Number.isFinite(value[k]) ? null : `${k}: expected a finite number`);
  const first = (...problems: Array<string | null>): string | null => problems.find((p) => p !== null) ?? null;
  let problem = first(num('time'), num('serial'), str('env'));
  if (problem === null) {
    switch (value.type) {
      case 'exposure':
      case 'metric':
        problem = first(
          SUBJECTS.has(value.subject as string) ? null : `subject: expected one of ${[...SUBJECTS].join(', ')}`,
          str('key'),
          str('variant'),
          str('unitKey'),
          value.type === 'metric' ? first(str('metric'), num('value')) : null,
        );
        break;
      case 'shadow':
        problem = first(str('rollout'), str('model'), str('primary'), str('candidate'), str('unitKey'), str('requestId', true), num('similarity', true), str('primaryOutput', true), str('candidateOutput', true), num('primaryLatencyMs', true), num('candidateLatencyMs', true), str('error', true));
        break;
      case 'migration':
        problem = first(value.migration === 'conversation-model' || value.migration === 'schema' ? null : 'migration: expected conversation-model or schema', str('key'), str('subjectId', true), str('from'), str('to'));
        break;
      default:
        problem = 'type: expected exposure, metric, shadow or migration';
    }
  }
  return problem === null ? { event: value as unknown as SwitchyardEvent } : { error: problem };
}
