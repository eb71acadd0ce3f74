/**
 * The event contract comes from the runtime package (its single source of truth); the relative
 * path lives in this one file.
 */
export type {
  EventSink,
  ExposureEvent,
  MetricEvent,
  MigrationEvent,
  ShadowEvent,
  SinkStats,
  SwitchyardEvent,
} from '@switchyard/runtime';
