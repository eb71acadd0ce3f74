/**
 * OpenTelemetry's feature-flag semantic conventions (the `feature_flag.evaluation` event) for a
 * Switchyard exposure, so a team that forwards exposures to an OTel pipeline maps them 1:1:
 * the flag (experiment id, flag, canary or rollout name) is `feature_flag.key`, the variant is
 * `feature_flag.result.variant`, the provider is `switchyard`, the unit is `feature_flag.context.id`,
 * the environment is the flag set and the bundle serial the version. Pure and allocation-light.
 */
import type { ExposureEvent } from './types.ts';

/** `feature_flag.provider.name` of every Switchyard evaluation. */
export const FEATURE_FLAG_PROVIDER = 'switchyard';

/** The semconv attributes of one exposure (names as in OpenTelemetry's feature-flag conventions). */
export interface FeatureFlagAttributes {
  'feature_flag.key': string;
  'feature_flag.result.variant': string;
  'feature_flag.provider.name': string;
  'feature_flag.context.id': string;
  'feature_flag.set.id': string;
  'feature_flag.version': string;
  /** Not a semconv name: which kind of Switchyard subject decided (experiment, flag, canary, model-rollout). */
  'switchyard.subject': ExposureEvent['subject'];
}

/** The OpenTelemetry feature-flag attributes of an exposure event. */
export function featureFlagAttributes(event: ExposureEvent): FeatureFlagAttributes {
  return {
    'feature_flag.key': event.key,
    'feature_flag.result.variant': event.variant,
    'feature_flag.provider.name': FEATURE_FLAG_PROVIDER,
    'feature_flag.context.id': event.unitKey,
    'feature_flag.set.id': event.env,
    'feature_flag.version': String(event.serial),
    'switchyard.subject': event.subject,
  };
}
