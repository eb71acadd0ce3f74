import type { Severity } from './diagnostics.ts';

/** One entry of the diagnostic catalogue: every code Switchyard's loader can report. */
export interface CodeInfo {
  severity: Severity;
  /** What the code means, for docs. */
  summary: string;
  /** Default one-line fix hint (a diagnostic may give a more specific one). */
  hint: string;
}

/**
 * The stable diagnostic codes of `src/config`. Codes are API: tools match on them, so a code is never
 * renamed or reused for a different meaning; new problems get new codes.
 */
export const CODES = {
  // Files and bytes
  E_NO_SETTINGS: {
    severity: 'error',
    summary: 'switchyard.yaml is missing at the repository root.',
    hint: 'Create switchyard.yaml (see docs/resources.md#project-settings).',
  },
  E_READ_FAILED: {
    severity: 'error',
    summary: 'A file could not be read.',
    hint: 'Check the file permissions and that it is a regular file.',
  },
  E_BAD_PATH: {
    severity: 'error',
    summary: 'A file is not where the layout expects it.',
    hint: 'Use prompts/<name>/v<N>.yaml, models/<alias>.yaml, experiments/<id>.yaml, rollouts/<id>.yaml or datasets/<name>.jsonl.',
  },
  E_FILE_TOO_LARGE: {
    severity: 'error',
    summary: 'A file exceeds the size cap.',
    hint: 'Split the file; resources are small (datasets may be larger but are capped too).',
  },
  E_BINARY: {
    severity: 'error',
    summary: 'A file contains NUL bytes: it is binary, not YAML/JSONL.',
    hint: 'Replace it with a text file or move it out of the config directories.',
  },
  E_NOT_UTF8: { severity: 'error', summary: 'A file is not valid UTF-8.', hint: 'Re-save the file as UTF-8.' },
  E_SYMLINK_ESCAPE: {
    severity: 'error',
    summary: 'A symbolic link points outside the repository.',
    hint: 'Replace the link with the file itself; config must live inside the repository.',
  },
  E_SYMLINK_UNSUPPORTED: {
    severity: 'error',
    summary: 'A symbolic link is broken or points to a directory.',
    hint: 'Replace the link with a regular file.',
  },
  E_TOO_MANY_FILES: {
    severity: 'error',
    summary: 'The repository holds more config files than the loader accepts.',
    hint: 'Remove stray files from the config directories.',
  },
  // YAML / JSON syntax
  E_YAML_SYNTAX: {
    severity: 'error',
    summary: 'The YAML does not parse.',
    hint: 'Fix the syntax at the position shown (indentation, quotes, brackets).',
  },
  E_YAML_DUPLICATE_KEY: {
    severity: 'error',
    summary: 'A mapping has the same key twice (later values would silently win).',
    hint: 'Remove or rename one of the duplicate keys.',
  },
  E_YAML_MULTIPLE_DOCS: {
    severity: 'error',
    summary: 'A resource file contains more than one YAML document.',
    hint: 'Keep one document per file; remove the `---` separator.',
  },
  E_YAML_TAG: {
    severity: 'error',
    summary: 'A YAML tag that plain data does not use (e.g. `!foo`, `!!binary`).',
    hint: 'Remove the tag; resources are plain maps, lists, strings, numbers and booleans.',
  },
  E_YAML_ALIAS_LIMIT: {
    severity: 'error',
    summary: 'Too many YAML alias expansions (a "billion laughs" document).',
    hint: 'Write the values out instead of using anchors and aliases.',
  },
  E_YAML_TOO_DEEP: {
    severity: 'error',
    summary: 'The document is nested too deeply.',
    hint: 'Resources are shallow; flatten the structure.',
  },
  E_NOT_A_MAP: {
    severity: 'error',
    summary: 'The document is not a mapping of keys to values.',
    hint: 'A resource file is a YAML mapping (key: value lines).',
  },
  E_JSONL_SYNTAX: {
    severity: 'error',
    summary: 'A dataset line is not a JSON object.',
    hint: 'Each line of a .jsonl file is one JSON object.',
  },
  // Schema
  E_UNKNOWN_KIND: {
    severity: 'error',
    summary: 'A rollouts/ file has a missing or unknown `kind`.',
    hint: 'Set kind to Flag, ModelRollout, Canary, EmbeddingMigration or SchemaMigration.',
  },
  E_UNKNOWN_KEY: {
    severity: 'error',
    summary: 'A key the schema does not define (typos must not pass silently).',
    hint: 'Remove the key or fix its spelling.',
  },
  E_MISSING_KEY: {
    severity: 'error',
    summary: 'A required key is missing.',
    hint: 'Add the key (see docs/resources.md).',
  },
  E_PROVIDER_FIELD: {
    severity: 'error',
    summary: "A model pin's provider has a key its type does not read (e.g. `url` on an `openai` provider).",
    hint: 'Remove the key, or change `provider.type` to the type it belongs to (docs/resources.md#model-pin).',
  },
  E_TYPE: { severity: 'error', summary: 'A value has the wrong type.', hint: 'Use the type the schema expects.' },
  E_ENUM: {
    severity: 'error',
    summary: 'A value is not one of the allowed values.',
    hint: 'Use one of the listed values.',
  },
  E_BAD_NAME: {
    severity: 'error',
    summary: 'A name does not match ^[a-z0-9][a-z0-9_-]*$.',
    hint: 'Use lower-case letters, digits, - and _ only, starting with a letter or digit.',
  },
  E_FLOATING_SNAPSHOT: {
    severity: 'error',
    summary: 'A model snapshot is a floating alias rather than a dated snapshot.',
    hint: 'Pin a dated snapshot such as gpt-4o-2024-08-06.',
  },
  E_ASSERTION_TYPE: {
    severity: 'error',
    summary: "A test assertion type is not one of promptfoo's assertion types.",
    hint: 'Use a promptfoo assertion type such as contains, icontains, equals, javascript, similar.',
  },
  E_SCHEMA: {
    severity: 'error',
    summary: 'A value breaks a schema constraint (range, length, format, …).',
    hint: 'Change the value to satisfy the constraint shown.',
  },
  // Naming and layout
  E_NAME_MISMATCH: {
    severity: 'error',
    summary: 'The name inside a file does not match its path.',
    hint: 'Make the name field equal the file stem (or rename the file).',
  },
  // Cross-file
  E_DANGLING_REF: {
    severity: 'error',
    summary: 'A reference to a prompt version, model alias, dataset or environment that does not exist.',
    hint: 'Fix the name or add the referenced resource.',
  },
  E_MULTIPLE_ACTIVE: {
    severity: 'error',
    summary: 'More than one version of a prompt is active.',
    hint: 'Set all but one version to deprecated (or draft).',
  },
  E_WEIGHTS_SUM: {
    severity: 'error',
    summary: 'Experiment variant weights do not sum to 100.',
    hint: 'Adjust the weights so they add up to 100.',
  },
  E_STAGES_ORDER: {
    severity: 'error',
    summary: 'Rollout stages do not strictly ascend or do not end at 100.',
    hint: 'List stages in ascending order, ending at 100, e.g. [1, 5, 25, 100].',
  },
  E_PERCENT_NOT_STAGE: {
    severity: 'error',
    summary: 'A percent is neither 0 nor one of the stages.',
    hint: 'Use 0 or one of the listed stages.',
  },
  E_DUPLICATE_NAME: {
    severity: 'error',
    summary: 'Two resources use the same runtime name.',
    hint: 'Rename one of them; runtime names are unique across flags, experiments and migrations.',
  },
  E_UNDECLARED_VAR: {
    severity: 'error',
    summary: 'A {{placeholder}} in a message or a test variable is not declared in `variables`.',
    hint: 'Add it to `variables` or fix its spelling.',
  },
  E_INVALID_PLACEHOLDER: {
    severity: 'error',
    summary:
      'A message has `{{…}}` that reads like a variable (a dotted path, a hyphen) but is not a placeholder: names are letters, digits and `_`, so the text would reach the model as written.',
    hint: 'Pass the value as a variable of its own ({{customer_name}}) and declare it in `variables`.',
  },
  E_FILE_REF_OUTSIDE: {
    severity: 'error',
    summary: 'A `file://` reference in a prompt test is absolute or leads outside the repository.',
    hint: 'Keep test fixtures in the repository and refer to them relative to its root (file://tests/fixtures/x.json).',
  },
  E_FILE_REF_UNREADABLE: {
    severity: 'error',
    summary:
      'A file a `file://` reference in prompt tests names does not exist, is not a regular file or is too large (on the side being read: the working tree, or the base commit).',
    hint: 'Commit the file at the path the reference names (relative to the repository root).',
  },
  E_TESTS_FILE: {
    severity: 'error',
    summary: 'The file `tests.cases: file://…` names is not a list of test cases in YAML, JSON or JSON Lines.',
    hint: 'Write the cases as a YAML or JSON list (or one JSON object per line in a .jsonl file); CSV test files are not read.',
  },
  E_CASE_WITHOUT_ASSERT: {
    severity: 'error',
    summary: 'A test case has no assertion, neither its own nor from defaultTest.',
    hint: 'Add an `assert` list to the case or to tests.defaultTest.',
  },
  E_COST_WITHOUT_PRICE: {
    severity: 'error',
    summary: 'A `cost` assertion runs on a snapshot the model YAML gives no price for.',
    hint: 'Add `prices: { <snapshot>: { input: <USD per 1M tokens>, output: <USD per 1M tokens> } }` to the model YAML.',
  },
  E_MISSING_VAR: {
    severity: 'error',
    summary: 'A test case or dataset row does not set a declared variable.',
    hint: 'Give the case a value for every declared variable.',
  },
  E_ROLLOUT_TARGET: {
    severity: 'error',
    summary: 'A model rollout targets the snapshot already pinned, or a retired one.',
    hint: 'Roll out to a different, non-retired dated snapshot.',
  },
  E_RETIRED_SNAPSHOT: {
    severity: 'error',
    summary: "A model pin's current snapshot is in its own retired list.",
    hint: 'Pin a snapshot that is not retired, or remove it from retired.',
  },
  E_MULTIPLE_ROLLOUTS: {
    severity: 'error',
    summary: 'More than one model rollout for the same model alias.',
    hint: 'Finish or remove one rollout before starting another on the same alias.',
  },
  E_MULTIPLE_EXPERIMENTS: {
    severity: 'error',
    summary: 'More than one running experiment on the same prompt.',
    hint: 'Stop one experiment before starting another on the same prompt.',
  },
  E_MIGRATION_VERSIONS: {
    severity: 'error',
    summary: 'A migration goes nowhere (same source and target) or backwards.',
    hint: 'Set `to` to a later version / a different store than `from`.',
  },
  E_DUPLICATE_ROW_ID: {
    severity: 'error',
    summary: 'Two dataset rows share an id.',
    hint: 'Give every row a unique id.',
  },
  E_CANARY_THRESHOLDS: {
    severity: 'error',
    summary: 'Canary thresholds are inconsistent (revertBelow must be below advanceAbove; next must be a later stage).',
    hint: 'Use revertBelow < 1 < advanceAbove and a `next` stage above `percent`.',
  },
  // History (--base)
  E_IMMUTABLE_VERSION: {
    severity: 'error',
    summary: 'A prompt version that is not a draft on the base branch was edited (only its status may change).',
    hint: 'Create a new version file (v<N+1>.yaml) instead of editing this one.',
  },
  E_STAGE_SKIP: {
    severity: 'error',
    summary: 'A percent moved up by more than one stage.',
    hint: 'Raise the percent one stage at a time; a downward move is always allowed.',
  },
  E_RUNNING_EXPERIMENT_CHANGED: {
    severity: 'error',
    summary: 'A running experiment changed its variants or weights without a new seed (units would switch variants).',
    hint: 'Set a new `seed` (and accept a fresh start) or stop the experiment first.',
  },
  E_PHASE_SKIP: {
    severity: 'error',
    summary: 'An embedding migration moved more than one phase forward.',
    hint: 'Advance one phase at a time; stepping back (rollback) is always allowed.',
  },
  E_BASE_UNREADABLE: {
    severity: 'error',
    summary: 'The base ref could not be read (not a git repository, unknown ref).',
    hint: 'Pass a ref that exists, e.g. --base origin/main (fetch it first in CI).',
  },
  E_REF_UNREADABLE: {
    severity: 'error',
    summary: 'A git ref could not be read.',
    hint: 'Check the ref exists in this repository.',
  },
  // Warnings
  W_SCHEMA_COMMENT: {
    severity: 'warning',
    summary: "The file lacks the `# yaml-language-server: $schema=` comment, or it names another kind's schema.",
    hint: 'Add `# yaml-language-server: $schema=<path>/schemas/<kind>.schema.json` as the first line.',
  },
  W_UNUSED_VAR: {
    severity: 'warning',
    summary: 'A declared variable is never used in the messages.',
    hint: 'Remove it from `variables` or use it in a message.',
  },
  W_NO_ACTIVE_VERSION: {
    severity: 'warning',
    summary: 'A prompt has no active version: applications asking for it get nothing.',
    hint: 'Set one version to active once its tests pass.',
  },
  W_KILL_OVERRIDE_NO_EFFECT: {
    severity: 'warning',
    summary: 'An environment override sets `killed: false`, which has no effect: the kill switch is global.',
    hint: 'Remove the override; to revive, set the top-level `killed: false` (an override can only kill one environment).',
  },
  W_MIGRATION_COPY_SOURCE: {
    severity: 'warning',
    summary:
      'A schema migration copies into messages from a field that its own `rename` moves away first, so only records that already had the new name get the copy.',
    hint: "Name the renamed field (the rename's new name) in copyToMessages: copies read the record after rename and add.",
  },
  W_EXPERIMENT_DEPRECATED_VERSION: {
    severity: 'warning',
    summary: 'A running experiment serves a deprecated prompt version.',
    hint: 'Stop the experiment or point the variant at a current version.',
  },
} as const satisfies Record<string, CodeInfo>;

export type Code = keyof typeof CODES;
