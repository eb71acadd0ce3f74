import {
  NAME_PATTERN,
  SNAPSHOT_PATTERN,
  VARIABLE_PATTERN,
  bool,
  enumOf,
  int,
  mapOf,
  num,
  obj,
  ref,
  str,
  type JsonSchema,
} from './builders.ts';

/** `$defs` shared (copied) into every schema, so each schema file stands alone for editors. */
export const commonDefs: Record<string, JsonSchema> = {
  name: str('A resource name: lower-case letters, digits, - and _, starting with a letter or digit.', {
    pattern: NAME_PATTERN,
    maxLength: 100,
  }),
  snapshot: str('A dated model snapshot (e.g. gpt-4o-2024-08-06), never a floating alias such as gpt-4o.', {
    pattern: SNAPSHOT_PATTERN,
    maxLength: 200,
  }),
  variable: str('A placeholder name as used in {{name}}.', { pattern: VARIABLE_PATTERN, maxLength: 100 }),
  percent: num('Share of units in percent (0..100).', 0, 100),
  unit: str('Context key that identifies a unit for bucketing (e.g. userId).', {
    pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$',
    maxLength: 100,
  }),
  seed: str('Bucketing seed; defaults to the resource name. Changing it reshuffles every unit.', {
    minLength: 1,
    maxLength: 200,
  }),
  description: str('Free text for humans; shown in reports.', { maxLength: 2000 }),
  modelParams: obj('Generation parameters passed through to the model provider.', {
    temperature: num('Sampling temperature (0..2).', 0, 2),
    top_p: num('Nucleus sampling mass (0..1).', 0, 1),
    max_tokens: int('Upper bound on generated tokens.', 1, 1_000_000),
    seed: int('Provider-side sampling seed, for more repeatable outputs.'),
    presence_penalty: num('Presence penalty (-2..2).', -2, 2),
    frequency_penalty: num('Frequency penalty (-2..2).', -2, 2),
  }),
  stages: {
    type: 'array',
    description:
      'Rollout stages in percent, strictly ascending and ending at 100. The percent may not skip a stage upward.',
    items: {
      type: 'number',
      description: 'One stage, in percent (above 0, at most 100).',
      exclusiveMinimum: 0,
      maximum: 100,
    },
    minItems: 1,
    maxItems: 20,
  },
  shadowGate: obj(
    'Similarity a candidate must reach against the current configuration in the shadow eval.',
    {
      minAvgSimilarity: num('Minimum average similarity (0..1) over the dataset.', 0, 1),
      minMinSimilarity: num('Minimum similarity (0..1) of the single worst pair.', 0, 1),
    },
    ['minAvgSimilarity', 'minMinSimilarity'],
  ),
};

/** Properties shared by Flag, ModelRollout and Canary. */
export function percentResourceProperties(kind: string, what: string): Record<string, JsonSchema> {
  return {
    kind: { const: kind, description: `Resource kind: always ${kind} in this file.` },
    flag: ref('name', 'Runtime flag name; must equal the file stem and be unique across rollouts and experiments.'),
    description: ref('description', `What this ${what} changes, for humans.`),
    percent: ref('percent', 'Share of units (0..100) that get the new behaviour. Must be 0 or one of `stages`.'),
    stages: ref('stages', 'Ascending stages ending at 100; the percent moves through them one at a time.'),
    killed: bool('Kill switch: when true nobody gets the new behaviour, whatever the percent.'),
    seed: ref('seed', 'Bucketing seed; defaults to the flag name.'),
    unit: ref('unit', 'Context key that identifies a unit (e.g. userId).'),
    environments: mapOf(
      'Per-environment overrides (environment name → override).',
      NAME_PATTERN,
      obj('Override for one environment.', {
        percent: ref('percent', 'Percent in this environment; must be 0 or one of `stages`.'),
        killed: bool('Kill switch in this environment.'),
      }),
    ),
  };
}

export const PERCENT_REQUIRED = ['kind', 'flag', 'percent', 'stages', 'killed', 'unit'] as const;

export const pipelineSettings = (description: string): JsonSchema =>
  obj(
    description,
    {
      embeddingModel: str('Embedding model used to embed queries (and documents) in this pipeline.', { minLength: 1 }),
      retrieval: enumOf('Retrieval mode.', ['semantic', 'keyword', 'hybrid']),
      topK: int('Number of passages retrieved.', 1, 1000),
      index: str('Vector index the pipeline reads.', { minLength: 1 }),
    },
    ['embeddingModel', 'retrieval', 'topK', 'index'],
    {
      // Application-specific settings are allowed under an `x-` prefix, so typos of the known keys still fail.
      patternProperties: {
        '^x-[a-zA-Z0-9_-]+$': { description: 'Application-specific pipeline setting (passed through).' },
      },
    },
  );
