/** Event builders the store and analysis tests share: one exposure or metric event at `t0` by default. */
import type { SwitchyardEvent } from '../../src/store/events.ts';

export const t0 = Date.UTC(2026, 0, 1);

export const exposure = (
  unitKey: string,
  variant: string,
  key = 'exp',
  subject: 'experiment' | 'canary' = 'experiment',
  time = t0,
): SwitchyardEvent => ({ type: 'exposure', time, serial: 1, env: 'production', subject, key, variant, unitKey });

export const metric = (
  unitKey: string,
  variant: string,
  name: string,
  value: number,
  key = 'exp',
  subject: 'experiment' | 'canary' = 'experiment',
  time = t0,
): SwitchyardEvent => ({
  type: 'metric',
  time,
  serial: 1,
  env: 'production',
  subject,
  key,
  variant,
  unitKey,
  metric: name,
  value,
});
