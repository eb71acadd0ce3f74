import { ALL_ASSERTION_TYPES } from './assertion-types.ts';
import {
  NAME_PATTERN,
  SNAPSHOT_PATTERN,
  VARIABLE_PATTERN,
  IDENTIFIER_PATTERN,
  IDENTIFIER_PATTERN_BODY,
  arr,
  document,
  enumOf,
  int,
  mapOf,
  num,
  obj,
  ref,
  str,
  type JsonSchema,
} from './builders.ts';
import { PERCENT_REQUIRED, commonDefs, pipelineSettings, percentResourceProperties } from './common-defs.ts';

/** Any JSON value: promptfoo assertion values and variables may be objects (e.g. a JSON Schema). */
const anyValue = (description: string): JsonSchema => ({
  description,
  type: ['string', 'number', 'boolean', 'array', 'object', 'null'],
});
/** Names of environment variables (keys and header values come from the environment, never from YAML). */
const ENV_NAME_PATTERN = '^[A-Z_][A-Z0-9_]*$';
/** Provider types of a model pin, each mapped to a promptfoo provider (src/eval/model-routes.ts). */
export const PROVIDER_TYPES = ['openai', 'openai-compatible', 'anthropic', 'ollama', 'http'] as const;
const FILE_REF =
  'A `file://<path>` value is read from the repository (path relative to its root, never outside it): .json/.yaml files become data, anything else text.';

const atomicAssertion = obj(
  'One promptfoo assertion on the model output.',
  {
    type: enumOf(
      'promptfoo assertion type (e.g. icontains, javascript, similar, is-json); `not-` negates it.',
      ALL_ASSERTION_TYPES,
    ),
    value: anyValue(
      `Expected value: text, a number, a list, or an object such as the JSON Schema of is-json/contains-json (meaning depends on the type). ${FILE_REF}`,
    ),
    threshold: num(
      'Score threshold for graded assertions (e.g. similar), or the maximum for cost (USD) and latency (ms).',
    ),
    metric: str('Named metric this assertion contributes to.', { pattern: '^[A-Za-z0-9_.-]+$' }),
    weight: num('Weight of this assertion in the case score.', 0),
    transform: str(
      'JavaScript expression applied to the output before this assertion (promptfoo `transform`, e.g. `output.trim()`).',
      { minLength: 1 },
    ),
    config: {
      type: 'object',
      description: 'Extra settings of the assertion type (promptfoo `config`).',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    },
  },
  ['type'],
);

const METRIC_NAME_PATTERN = '^[A-Za-z0-9_.-]+$';
const metricKind = enumOf(
  "continuous: the mean of each unit's values (Welch, mSPRT); binary: a conversion, 1 when the unit converted, exposed units that never report count as 0 (two-proportion test); ratio: Σvalues / Σobservations over units (delta method). Default continuous.",
  ['continuous', 'binary', 'ratio'],
);
const metricDirection = enumOf(
  'Which way is better: higher (satisfaction, relevance) or lower (latency, cost, errors).',
  ['higher', 'lower'],
);
const metricDefinition = obj('How one metric is analysed.', { kind: metricKind, direction: metricDirection }, [
  'kind',
  'direction',
]);

const assertion: JsonSchema = {
  description: 'A promptfoo assertion, or an assertion set (`type: assert-set`) whose members are scored together.',
  oneOf: [
    atomicAssertion,
    obj(
      "An assertion set: passes when its members' weighted score reaches `threshold` (default: all must pass).",
      {
        type: { const: 'assert-set', description: 'Marks an assertion set.' },
        assert: arr('Member assertions.', atomicAssertion, { minItems: 1 }),
        threshold: num('Share (0..1) of the weighted members that must pass.', 0, 1),
        metric: str('Named metric this set contributes to.', { pattern: '^[A-Za-z0-9_.-]+$' }),
        weight: num('Weight of this set in the case score.', 0),
      },
      ['type', 'assert'],
    ),
  ],
};

const testOptions = obj('promptfoo test options.', {
  transform: str(
    'JavaScript expression applied to the output before every assertion of the case (promptfoo `options.transform`).',
    { minLength: 1 },
  ),
});

const testVars = mapOf(
  `Values for the prompt variables (text, numbers or structured data; structured values are rendered as JSON). ${FILE_REF}`,
  VARIABLE_PATTERN,
  anyValue('Value of one variable.'),
);

const promptVersion = document(
  'prompt-version',
  'Switchyard prompt version',
  'prompts/<prompt>/v<version>.yaml: one immutable version of a prompt.',
  obj(
    'A prompt version.',
    {
      prompt: ref('name', 'Prompt name; must equal the directory name.'),
      version: int('Version number; must equal N in the file name v<N>.yaml.', 1),
      status: enumOf(
        'draft: editable, not served by default; active: served (at most one per prompt); deprecated: kept for pinned conversations and rollback.',
        ['draft', 'active', 'deprecated'],
      ),
      description: ref('description', 'What this version does differently.'),
      model: ref('name', 'Model alias (a file in models/) this version runs on.'),
      params: ref('modelParams', "Generation parameters for this prompt; override the model pin's params."),
      messages: arr(
        'Chat messages sent to the model, with {{variable}} placeholders.',
        obj(
          'One chat message.',
          {
            role: enumOf('Message role.', ['system', 'user', 'assistant']),
            content: str('Message text; {{name}} placeholders must be declared in `variables`.', { minLength: 1 }),
          },
          ['role', 'content'],
        ),
        { minItems: 1 },
      ),
      variables: arr(
        'Declared placeholder names; every {{x}} in messages must be listed here.',
        ref('variable', 'One placeholder name.'),
        { uniqueItems: true },
      ),
      tests: obj(
        'Tests run by promptfoo in CI when this version changes or what it depends on changes.',
        {
          minPassRate: num('Share of cases (0..1) that must pass before this version may become active.', 0, 1),
          defaultTest: obj(
            "Merged into every case, as promptfoo's `defaultTest`: its vars under the case's, its assertions before the case's, its options under the case's.",
            {
              vars: testVars,
              assert: arr('Assertions every case also runs.', assertion),
              options: testOptions,
            },
          ),
          cases: arr(
            "Test cases: a list, or `file://<path>` naming a YAML/JSON list (or JSON Lines file) of cases in the repository, as promptfoo's `tests: file://…` (path relative to the repository root, never outside it; read from the same commit as this file).",
            obj(
              'One test case.',
              {
                description: str('What this case checks.'),
                vars: testVars,
                assert: arr('Assertions on the output, after those of defaultTest; all must pass.', assertion),
                options: testOptions,
              },
              ['vars'],
            ),
            { type: ['array', 'string'], pattern: '^file://.', minItems: 1 },
          ),
        },
        ['minPassRate', 'cases'],
      ),
    },
    ['prompt', 'version', 'status', 'model', 'messages', 'variables', 'tests'],
  ),
  commonDefs,
);

const model = document(
  'model',
  'Switchyard model pin',
  'models/<alias>.yaml: which dated snapshot a model alias means.',
  obj(
    'A model pin.',
    {
      alias: ref('name', 'Model alias prompts refer to; must equal the file stem.'),
      description: ref('description', 'What the alias is used for.'),
      provider: obj(
        'Where the model is served. Evals and shadow runs call it through the promptfoo provider of its type (docs/evaluation.md).',
        {
          type: enumOf(
            "openai: the OpenAI API; openai-compatible: any server speaking its wire protocol (vLLM, LiteLLM); anthropic: the Anthropic Messages API; ollama: an Ollama server (/api/chat); http: any HTTP endpoint, called by promptfoo's http provider.",
            PROVIDER_TYPES,
          ),
          baseUrl: str(
            'Base URL of the API: required with openai-compatible (…/v1); optional with anthropic (default https://api.anthropic.com, without /v1) and ollama (default http://127.0.0.1:11434).',
            { pattern: '^https?://' },
          ),
          apiKeyEnv: str(
            'Environment variable holding the API key (openai, openai-compatible: default OPENAI_API_KEY; anthropic: default ANTHROPIC_API_KEY). Evals and shadow runs call the provider only when CI has a key; otherwise they use the offline model server and say so.',
            { pattern: ENV_NAME_PATTERN },
          ),
          url: str('URL the http provider sends each request to (type http only).', { pattern: '^https?://' }),
          method: enumOf('HTTP method of the http provider (default POST).', ['POST', 'PUT']),
          headersFromEnv: mapOf(
            'Request headers of the http provider: header name → the environment variable holding its value (secrets never go in YAML).',
            '^[A-Za-z0-9-]+$',
            str('Environment variable holding the header value.', { pattern: ENV_NAME_PATTERN }),
          ),
          body: {
            type: 'object',
            propertyNames: { minLength: 1 },
            description:
              'JSON body template of the http provider (default `{model: "{{snapshot}}", messages: "{{prompt}}"}`): `{{prompt}}` is the chat messages as JSON (an array once rendered), `{{snapshot}}` the snapshot, other `{{name}}` the test variables.',
          },
          transformResponse: str(
            "JavaScript expression turning the http provider's response into the output (promptfoo `transformResponse`, e.g. `json.choices[0].message.content`); without it the whole JSON body is the output.",
            { minLength: 1, pattern: '^(?!file:)' },
          ),
        },
        ['type'],
        {
          allOf: [
            { if: { properties: { type: { const: 'openai-compatible' } } }, then: { required: ['baseUrl'] } },
            { if: { properties: { type: { const: 'http' } } }, then: { required: ['url'] } },
          ],
        },
      ),
      snapshot: ref('snapshot', 'Dated snapshot new conversations start on.'),
      params: ref('modelParams', 'Default generation parameters for every prompt on this alias.'),
      prices: mapOf(
        'Price per snapshot (snapshot → USD per 1M tokens), for `cost` assertions and the cost column of the PR report.',
        SNAPSHOT_PATTERN,
        obj(
          'Prices of one snapshot.',
          {
            input: num('USD per 1M prompt tokens.', 0),
            output: num('USD per 1M completion tokens.', 0),
          },
          ['input', 'output'],
        ),
      ),
      conversations: enumOf(
        'pinned: a conversation keeps the snapshot it started on; follow: it always gets the current decision.',
        ['pinned', 'follow'],
      ),
      retired: arr(
        'Snapshots no longer served; conversations pinned to one are migrated deliberately, with an event.',
        ref('snapshot', 'A retired snapshot.'),
        { uniqueItems: true },
      ),
    },
    ['alias', 'provider', 'snapshot', 'conversations', 'retired'],
  ),
  commonDefs,
);

const experiment = document(
  'experiment',
  'Switchyard experiment',
  'experiments/<id>.yaml: an A/B test between prompt versions.',
  obj(
    'An A/B experiment.',
    {
      experiment: ref('name', 'Experiment id; must equal the file stem.'),
      description: ref('description', 'The hypothesis being tested.'),
      status: enumOf(
        "draft: not served; running: units are enrolled; stopped: everyone gets the prompt's active version.",
        ['draft', 'running', 'stopped'],
      ),
      prompt: ref('name', 'Prompt (a directory in prompts/) whose versions are compared.'),
      unit: ref('unit', 'Context key that identifies a unit (e.g. userId).'),
      seed: ref(
        'seed',
        'Bucketing seed; defaults to the experiment id. Must change if variants or weights change while running.',
      ),
      traffic: ref('percent', 'Share of units (0..100) enrolled; raising it never moves an enrolled unit.'),
      variants: mapOf(
        'Variant name → variant; `control` is the baseline.',
        NAME_PATTERN,
        obj(
          'One variant.',
          {
            version: int('Prompt version served to this variant.', 1),
            weight: num('Share of enrolled units (0..100); weights sum to 100.', 0, 100),
          },
          ['version', 'weight'],
        ),
        { required: ['control'], minProperties: 2, maxProperties: 26 },
      ),
      metrics: obj(
        'What the analysis compares.',
        {
          primary: str(
            'The metric the decision is made on (direction and kind in `definitions`; default: continuous, higher is better).',
            { minLength: 1 },
          ),
          guardrails: arr(
            'Metrics that must not get worse (default: continuous, lower is better).',
            str('One guardrail metric.', { minLength: 1 }),
            { uniqueItems: true },
          ),
          definitions: mapOf(
            'Metric name → how it is analysed. Declare every metric the experiment uses; undeclared ones take the defaults above.',
            METRIC_NAME_PATTERN,
            metricDefinition,
          ),
          mde: num(
            "Minimum detectable effect, relative to control (e.g. 0.02 for 2%): fixes the sequential test's mixing scale at the start and is what `switchyard plan` sizes for. Default 0.1.",
            0.001,
            10,
          ),
        },
        ['primary', 'guardrails'],
      ),
      minSamples: int('Samples per variant before a result is called.', 1),
      environments: mapOf(
        'Per-environment overrides (environment name → override).',
        NAME_PATTERN,
        obj('Override for one environment.', {
          status: enumOf('Status in this environment.', ['draft', 'running', 'stopped']),
          traffic: ref('percent', 'Enrolment percent in this environment.'),
        }),
      ),
    },
    ['experiment', 'status', 'prompt', 'unit', 'traffic', 'variants', 'metrics', 'minSamples'],
  ),
  commonDefs,
);

const flag = document(
  'flag',
  'Switchyard flag',
  'rollouts/<flag>.yaml with kind: Flag: a percentage rollout with a kill switch.',
  obj('A feature flag.', percentResourceProperties('Flag', 'flag'), PERCENT_REQUIRED),
  commonDefs,
);

const modelRollout = document(
  'model-rollout',
  'Switchyard model rollout',
  'rollouts/<flag>.yaml with kind: ModelRollout: moves new conversations of a model alias to another snapshot, stage by stage.',
  obj(
    'A model rollout.',
    {
      ...percentResourceProperties('ModelRollout', 'model rollout'),
      model: ref('name', 'Model alias (a file in models/) being rolled out.'),
      to: ref('snapshot', 'Target dated snapshot.'),
      shadow: obj(
        'Shadow traffic and the CI shadow-eval gate.',
        {
          dataset: ref('name', 'Dataset (datasets/<name>.jsonl) replayed through base and head in CI.'),
          sampleRate: num('Share (0..1) of production requests also sent to the candidate.', 0, 1),
          gate: ref('shadowGate', 'Similarity the candidate must reach.'),
        },
        ['dataset', 'sampleRate', 'gate'],
      ),
    },
    [...PERCENT_REQUIRED, 'model', 'to', 'shadow'],
  ),
  commonDefs,
);

const canary = document(
  'canary',
  'Switchyard canary',
  'rollouts/<flag>.yaml with kind: Canary: a RAG pipeline change for a share of units, judged on a metric ratio.',
  obj(
    'A RAG canary.',
    {
      ...percentResourceProperties('Canary', 'canary'),
      control: pipelineSettings('Pipeline settings of the current behaviour.'),
      candidate: pipelineSettings('Pipeline settings under test.'),
      analysis: obj(
        'Automatic decision on the candidate/control metric ratio.',
        {
          metric: str('Metric recorded by the app.', { minLength: 1 }),
          kind: metricKind,
          direction: metricDirection,
          revertBelow: num('Revert when candidate/control falls below this ratio (e.g. 0.95).', 0),
          advanceAbove: num('Advance when candidate/control rises above this ratio (e.g. 1.05).', 0),
          minSamples: int('Samples per arm before deciding.', 1),
          next: ref('percent', 'Percent to advance to; defaults to the next stage.'),
        },
        ['metric', 'revertBelow', 'advanceAbove', 'minSamples'],
      ),
    },
    [...PERCENT_REQUIRED, 'control', 'candidate', 'analysis'],
  ),
  commonDefs,
);

const store = (description: string): JsonSchema =>
  obj(
    description,
    {
      model: str('Embedding model.', { minLength: 1 }),
      dimension: int('Vector dimension.', 1, 65536),
      index: str('Vector index name.', { minLength: 1 }),
    },
    ['model', 'dimension', 'index'],
  );

/** Lower-case SQL identifiers only: quoted or not, they name the same column (no case games). */
export const SQL_IDENTIFIER_PATTERN = '^[a-z_][a-z0-9_]{0,62}$';
const column = (description: string): JsonSchema => str(description, { pattern: SQL_IDENTIFIER_PATTERN });

const storage = obj(
  "The application's own table holding the vectors (default: Switchyard's `documents` and `emb_<index>` tables). Identifiers are validated and quoted, never interpolated.",
  {
    table: str('The table: `name` or `schema.name` (lower-case identifiers).', {
      pattern: '^[a-z_][a-z0-9_]{0,62}(\\.[a-z_][a-z0-9_]{0,62})?$',
    }),
    key: column('A column with a single-column unique index or primary key: the keyset order of the backfill.'),
    text: column('The text column that is embedded (rows where it is null are not embedded).'),
    updatedAt: column(
      'A column every write of the row changes (updated-at timestamp or version): a row changed after it was embedded is re-embedded.',
    ),
    from: obj('The old vectors.', { column: column('Vector column of from.model.') }, ['column']),
    to: obj(
      'The new vectors.',
      { column: column('Vector column of to.model: vector(n), real[], double precision[] or jsonb.') },
      ['column'],
    ),
  },
  ['table', 'key', 'text', 'updatedAt', 'from', 'to'],
);

const phases = ['dual-write', 'backfill', 'dual-read', 'cutover', 'complete'] as const;

const embeddingMigration = document(
  'embedding-migration',
  'Switchyard embedding migration',
  'rollouts/<migration>.yaml with kind: EmbeddingMigration: re-embedding a corpus in phases.',
  obj(
    'An embedding migration.',
    {
      kind: { const: 'EmbeddingMigration', description: 'Resource kind: always EmbeddingMigration in this file.' },
      migration: ref('name', 'Migration name; must equal the file stem.'),
      description: ref('description', 'What is migrated and why.'),
      from: store('The current embedding store.'),
      to: store('The new embedding store.'),
      phase: enumOf(
        'dual-write → backfill → dual-read → cutover → complete; one step forward at a time, any step back.',
        phases,
      ),
      storage,
      backfill: obj(
        'Backfill job settings (`switchyard migrate embeddings <id>`).',
        {
          batchSize: int(
            'Documents re-embedded per batch (one embeddings request and one transaction each).',
            1,
            100_000,
          ),
          concurrency: int('Batches whose embeddings requests are in flight at once.', 1, 256),
          requestsPerMinute: int(
            'Embeddings API requests per minute the backfill may make (default: no limit).',
            1,
            1_000_000,
          ),
          tokensPerMinute: int(
            'Embeddings API tokens per minute the backfill may use, estimated as characters/4 before each request (default: no limit).',
            1,
            1_000_000_000,
          ),
          maxRetries: int(
            'Retries of a failed embeddings request (429, 5xx, network) with exponential backoff, jitter and Retry-After, before the run stops, resumable (default 5).',
            0,
            20,
          ),
        },
        ['batchSize', 'concurrency'],
      ),
      verify: obj(
        'Checks `switchyard migrate embeddings <id> --verify` runs before a phase may advance (defaults apply when omitted).',
        {
          sampleQueries: int(
            'Documents sampled as queries for the top-k overlap between the old and the new index (default 50).',
            1,
            10_000,
          ),
          topK: int('k of the top-k overlap (default 10).', 1, 100),
          minOverlap: num('Lowest acceptable average overlap@k between old and new results, 0..1 (default 0.6).', 0, 1),
          maxDeadLetters: int(
            'Documents the backfill may leave in the dead-letter table and still pass (default 0: every document must be in the new index).',
            0,
          ),
          maxAgeMinutes: int(
            'How long a passed verification lets --advance proceed after documents changed, provided the count checks still pass then (default 60).',
            1,
            525_600,
          ),
        },
      ),
      environments: mapOf(
        'Per-environment overrides (environment name → override).',
        NAME_PATTERN,
        obj('Override for one environment.', {
          phase: enumOf('Phase in this environment.', phases),
        }),
      ),
    },
    ['kind', 'migration', 'from', 'to', 'phase', 'backfill'],
  ),
  commonDefs,
);

const schemaMigration = document(
  'schema-migration',
  'Switchyard schema migration',
  'rollouts/<migration>.yaml with kind: SchemaMigration: upgrading stored conversation records.',
  obj(
    'A conversation schema migration.',
    {
      kind: { const: 'SchemaMigration', description: 'Resource kind: always SchemaMigration in this file.' },
      migration: ref('name', 'Migration name; must equal the file stem.'),
      description: ref('description', 'What changes in the records.'),
      entity: ref('name', 'Record type being migrated, e.g. conversation.'),
      from: int('Schema version records are upgraded from.', 1),
      to: int('Schema version records are upgraded to (greater than from).', 1),
      mode: enumOf('lazy: upgrade on read; background: also a resumable job upgrades every record.', [
        'lazy',
        'background',
      ]),
      upgrade: obj('The declared upgrade; applied with idempotent upserts and never dropping a field.', {
        add: mapOf('Fields added to the record, with their default value.', VARIABLE_PATTERN, {
          description: 'Default value (any JSON).',
        }),
        rename: mapOf(
          'Renamed fields: old name → new name.',
          VARIABLE_PATTERN,
          str('New field name.', { pattern: VARIABLE_PATTERN }),
        ),
        addToMessages: mapOf(
          'Fields added to every element of `messages`, with their default value; applied after copyToMessages, so it is the fallback where nothing could be copied.',
          VARIABLE_PATTERN,
          { description: 'Default value (any JSON).' },
        ),
        copyToMessages: mapOf(
          'Message fields filled from a record field: message field → record field, e.g. `timestamp: createdAt`. Read after `rename` and `add` (use the new names); sets the field only in messages that lack it; a record without the source field (or with null) keeps its messages unchanged, and the dry run reports them.',
          VARIABLE_PATTERN,
          str('Record field whose value is copied.', { pattern: VARIABLE_PATTERN }),
        ),
      }),
      batchSize: int('Records per batch in background mode.', 1, 100_000),
      storage: obj(
        "The application's own table holding the records, for `switchyard migrate conversations` (omit it for Switchyard's own conversations table). Names are plain lower-case identifiers, always quoted in SQL; the run checks the table and column types before touching a row. Not part of the bundle.",
        {
          table: str('The table: `name` (in schema public) or `schema.name`.', {
            pattern: `^(${IDENTIFIER_PATTERN_BODY}\\.)?${IDENTIFIER_PATTERN_BODY}$`,
          }),
          key: str(
            'The unique, NOT NULL key column (text, varchar, uuid, smallint, integer or bigint); the run walks the table in its order.',
            { pattern: IDENTIFIER_PATTERN },
          ),
          record: str('The column holding the whole record as JSON: jsonb, json or text.', {
            pattern: IDENTIFIER_PATTERN,
          }),
          version: str(
            "An integer column holding the record's schema version. Omitted: the version is the record's own `schemaVersion` field.",
            { pattern: IDENTIFIER_PATTERN },
          ),
          updatedAt: str(
            'A timestamp column the application changes on every write: a runner write lands only if it is unchanged since the read, and sets it to the write time.',
            { pattern: IDENTIFIER_PATTERN },
          ),
          revision: str(
            'An integer revision column: a runner write lands only if it is unchanged since the read, and increments it.',
            { pattern: IDENTIFIER_PATTERN },
          ),
        },
        ['table', 'key', 'record'],
      ),
    },
    ['kind', 'migration', 'entity', 'from', 'to', 'mode', 'upgrade', 'batchSize'],
  ),
  commonDefs,
);

const settings = document(
  'switchyard',
  'Switchyard project settings',
  'switchyard.yaml: project-wide settings.',
  obj(
    'Project settings.',
    {
      project: ref('name', 'Project name.'),
      environments: arr(
        'Environments a bundle is compiled and published for, in publish order.',
        obj(
          'One environment.',
          {
            name: ref('name', 'Environment name.'),
            description: ref('description', 'What this environment serves.'),
          },
          ['name'],
        ),
        { minItems: 1 },
      ),
      signing: obj(
        'Bundle signing.',
        {
          trustedKeys: arr(
            'keyids (sha256 of the SPKI DER public key, hex) that runtimes of this project trust.',
            str('A keyid.', { pattern: '^[0-9a-f]{64}$' }),
            { uniqueItems: true },
          ),
          expiresAfter: str('How long a published bundle is trusted, e.g. 30d, 12h.', {
            pattern: '^[1-9][0-9]*[smhd]$',
          }),
        },
        ['trustedKeys', 'expiresAfter'],
      ),
      publish: obj(
        'Where bundles are published.',
        {
          target: str('A directory (relative to the repository) or an http(s) URL.', { minLength: 1 }),
        },
        ['target'],
      ),
      defaults: obj(
        'Defaults for resources that do not say.',
        {
          minPassRate: num('Default pass rate a prompt version needs to become active (0..1).', 0, 1),
          shadowGate: ref('shadowGate', 'Default shadow-eval gate.'),
        },
        ['minPassRate', 'shadowGate'],
      ),
      eval: obj(
        'Evaluation settings.',
        {
          concurrency: int('Model calls in flight during evals.', 1, 64),
          grader: ref(
            'name',
            'Model alias (models/<alias>.yaml) whose provider and snapshot grade llm-rubric and the other model-graded assertions, so grading goes where that model is served. Read from the base commit of a change, like the gate. Default: gpt-4o-2024-08-06 on the grading endpoint (OPENAI_BASE_URL). Embeddings (similar, shadow) stay on the grading endpoint.',
          ),
        },
        ['concurrency'],
      ),
      gate: obj(
        'Rules of the CI gate. A pull request is judged by the values on its base commit: it may tighten them, and loosening one is a policy change that must come alone.',
        {
          firstStagePercent: num(
            "Largest share (percent) of units a new rollout, flag, canary or experiment variant, a revived (un-killed) resource, or a change without stages (a model pin, an experiment's traffic) may newly expose in one change. Default 10.",
            0,
            100,
          ),
        },
      ),
    },
    ['project', 'environments', 'signing', 'publish', 'defaults', 'eval'],
  ),
  commonDefs,
);

const datasetRow = document(
  'dataset-row',
  'Switchyard dataset row',
  'One line of datasets/<name>.jsonl: the input of a shadow eval.',
  obj(
    'A dataset row.',
    {
      id: str('Row id, unique in the dataset.', { minLength: 1, maxLength: 200 }),
      vars: mapOf('Prompt variables (with `prompt`).', VARIABLE_PATTERN, {
        type: 'string',
        description: 'Value of one variable.',
      }),
      input: str('A bare user message (without `prompt`).'),
      prompt: ref('name', 'Prompt whose active version renders this row; without it `input` is sent as-is.'),
    },
    ['id'],
    { anyOf: [{ required: ['vars'] }, { required: ['input'] }] },
  ),
  commonDefs,
);

/** Every schema, keyed by the file stem it is published under in `schemas/`. */
export const SCHEMAS = {
  switchyard: settings,
  'prompt-version': promptVersion,
  model,
  experiment,
  flag,
  'model-rollout': modelRollout,
  canary,
  'embedding-migration': embeddingMigration,
  'schema-migration': schemaMigration,
  'dataset-row': datasetRow,
} as const satisfies Record<string, JsonSchema>;

export type SchemaName = keyof typeof SCHEMAS;

/** `kind:` value of a rollouts/ file → its schema. */
export const ROLLOUT_KINDS: Record<string, SchemaName> = {
  Flag: 'flag',
  ModelRollout: 'model-rollout',
  Canary: 'canary',
  EmbeddingMigration: 'embedding-migration',
  SchemaMigration: 'schema-migration',
};
