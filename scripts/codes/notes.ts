/**
 * Hand-written meaning and what-to-do for codes whose raise site carries no usable text (the code is
 * chosen in a conditional, or passed through from another error). Takes precedence over the text
 * scraped from the sources. Add a line here when the catalogue test reports a code without meaning.
 */
export const CODE_NOTES: Record<string, { meaning?: string; hint?: string }> = {
  E_TRUST_OPERATION: {
    meaning:
      '`switchyard trust` refused to issue the next keys document: no root key to sign with, `init` on an existing document (or another operation before `init`), revoking an unknown or the last signing key, a threshold above the keys that would remain, a reset ceiling not above its floor, or the version limit (the message says which).',
    hint: 'Pass the root key(s) with --root-key; start with `switchyard trust init`; rotate to the new key set before revoking the old one (docs/guides/rotate-signing-keys.md).',
  },
  E_NOT_READY: {
    meaning:
      'No verified bundle became active before `ready()` timed out, and no fetch or verification error explains why.',
    hint: 'Check the bundle source URL or directory, the environment name and the trusted keys; `status()` shows the last error.',
  },
  E_START: {
    meaning: 'The chat service failed to start for a reason without a code of its own (the message says which).',
    hint: 'Run with the printed message in mind; SWITCHYARD_DEBUG=1 shows the stack.',
  },
  E_FETCH_MANIFEST: {
    meaning: '`switchyard verify` could not read the manifest from the given source (missing, too large, HTTP error).',
    hint: 'Check the URL or directory and that a bundle was published for this environment.',
  },
  E_FETCH_PAYLOAD: {
    meaning: '`switchyard verify` could not read the payload the manifest names.',
    hint: 'Publish the payload before the manifest (`switchyard publish` does); check the content-addressed path.',
  },
  E_MIGRATE_STORAGE_NAME: {
    meaning:
      "An EmbeddingMigration's `storage:` names a table or column that is not a plain lower-case SQL identifier (Switchyard quotes identifiers and never interpolates them raw, so it accepts only names that mean the same quoted or not).",
    hint: 'Use [a-z_][a-z0-9_]* (at most 63 characters) for storage.table (optionally schema.table), key, text, updatedAt and the vector columns.',
  },
  E_MIGRATE_STORAGE_TABLE: {
    meaning:
      "The table an EmbeddingMigration's `storage.table` names does not exist in the database the runner opened.",
    hint: 'Check the schema qualification (unqualified means public) and --database-url; create the table in the application first.',
  },
  E_MIGRATE_STORAGE_COLUMN: {
    meaning:
      "A column an EmbeddingMigration's `storage:` names is missing from the application's table, or cannot serve its role: the key has no single-column unique index, the text column is not text, a vector column is not vector(n)/real[]/double precision[]/jsonb or declares another dimension than the plan (the message names the column and the plan file).",
    hint: "Add or fix the column in the application's schema migration, or correct the name in rollouts/<migration>.yaml.",
  },
  E_EMBED: {
    meaning: 'An embeddings call failed with an error that carries no `E_EMBED_*` code of its own.',
    hint: 'Check that the embeddings API is reachable (--base-url, OPENAI_API_KEY) and run again.',
  },
  E_CONVERSATION_STORAGE_NAME: {
    hint: 'Use plain lower-case identifiers in the plan\'s storage: block (`schema.table`, `column`); names are quoted, never interpolated raw (docs/guides/conversation-migration.md, "Your own table").',
  },
  E_CONVERSATION_STORAGE_COLUMNS: {
    hint: 'Give key, record, version, updatedAt and revision a column each.',
  },
  E_CONVERSATION_STORAGE_MISSING: {
    hint: "Check the table and column names in storage: against the database (Switchyard never creates an application's table); `--schema` names Switchyard's schema, not the table's.",
  },
  E_CONVERSATION_STORAGE_TYPE: {
    hint: 'record: jsonb, json or text; version and revision: an integer type; updatedAt: timestamp or timestamptz; key: text, varchar, uuid or an integer type.',
  },
  E_CONVERSATION_STORAGE_KEY: {
    hint: 'Name the primary key, or add a unique index on the key column alone and make it NOT NULL.',
  },
  E_CONVERSATION_UNSUPPORTED_VERSION: {
    meaning:
      'A stored conversation cannot be upgraded to the schema version in force (its record is not one the migration understands).',
    hint: 'Run `switchyard migrate conversations --dry-run` to see which records fail and why.',
  },
  E_GIT_FAILED: {
    meaning: "A git command exited with an error; the message carries git's first line of stderr.",
    hint: 'Run the same git command by hand in the repository to see the whole error.',
  },
  E_GIT_MISSING: {
    meaning: 'The `git` executable is not on PATH.',
    hint: 'Install git, or run where it is available.',
  },
  E_ANNOTATE_INPUT: { meaning: '`switchyard github annotate` was given a file that is not a validation report.' },
  E_ARTIFACT_NOT_FILE: { meaning: 'A file of the report artifact is missing, a symbolic link or not a regular file.' },
  E_WF_YAML: { meaning: 'A workflow file does not parse as YAML, so the workflow policy cannot check it.' },
  E_PROPOSE_GITHUB: {
    meaning:
      'The GitHub API refused or failed a proposal request; with an HTTP status the code is `E_PROPOSE_GITHUB_<status>`.',
    hint: "Check the token's permissions (contents and pull-requests: write) and the repository name.",
  },
  E_USAGE: {
    meaning:
      'A command line the CLI (or the example chat service) cannot run: an unknown command, option or value, or options that exclude each other (exit status 2).',
    hint: 'Run `switchyard <command> --help` (or `npm run chat-service -- --help`) for the options.',
  },
  E_VECTOR_SEARCH: {
    meaning:
      'A search on one index failed with an error that carries no code of its own; dual-read falls back to the other index.',
    hint: 'Check the database connection and that the index exists (`switchyard migrate embeddings <id> --verify`).',
  },
  // Codes written inside a message (scripts/codes/scan-codes.ts counts any code token in a string).
  E_BUNDLE_COMPILE: {
    meaning:
      'A blocker of the PR report: the bundle for one environment does not compile from the changed configuration.',
    hint: 'Run `switchyard compile --env <env>` locally; the validation errors say what to fix.',
  },
  E_DEMO_DOCUMENTS: {
    meaning:
      'The chat service started in demo mode but could not index the demo help-centre documents; it keeps running with an empty corpus (answers say "I do not know").',
    hint: 'Check the message (embeddings provider, vector table); restart the demo once it is fixed.',
  },
  E_EVAL_GATE: {
    meaning: "A blocker of the PR report: a prompt version's eval pass rate is below its gate's minimum pass rate.",
    hint: 'Improve the prompt or its cases until the pass rate clears the gate; lower the gate only by a reviewed change.',
  },
  E_EVAL_MISSING: {
    meaning:
      'A blocker of the PR report: eval results are missing for a target the change requires (no eval run, a missing shard, or shards that disagree on the shard count).',
    hint: 'Run `switchyard eval` (every shard of the plan) for this commit before `switchyard report`.',
  },
  E_EXPLAIN_BUNDLE: {
    meaning: '`switchyard explain` could not compile, read or evaluate the bundle it explains a decision from.',
    hint: 'Run `switchyard validate` / `switchyard compile` for the environment, or pass a readable --bundle.',
  },
  E_EXPLAIN_KEYS: {
    meaning: '`switchyard explain` could not read the trusted keys file given with --trusted-keys.',
    hint: 'Check the path and that it holds the keys document (`switchyard trust`).',
  },
  E_GITHUB_TOKEN: {
    meaning: '`switchyard github comment` or `github setup` needs a GitHub token and GITHUB_TOKEN is not set.',
    hint: 'In a workflow pass `GITHUB_TOKEN: ${{ github.token }}` in the step env; for setup use a token with admin rights on the repository.',
  },
  E_IMPORT_OUTSIDE: {
    meaning:
      '`switchyard import` was given a promptfoo config outside the repository; imported files must be in the repository.',
    hint: 'Copy the promptfoo config (and the files it references) into the repository first.',
  },
  E_IMPORT_READ: {
    meaning: '`switchyard import` could not read or parse the promptfoo config (the message says which file).',
    hint: 'Check the path and that `promptfoo validate` accepts the config.',
  },
  E_INGEST_EVENT: {
    meaning: '`switchyard ingest`: a line of the JSONL input is not a valid event; nothing is written.',
    hint: 'Fix the lines listed (file:line); each line must be one JSON event as docs describe.',
  },
  E_INGEST_READ: {
    meaning: '`switchyard ingest` could not read its input file (or stdin).',
    hint: 'Check the path and permissions; pass `-` to read stdin.',
  },
  E_KILL_UNKNOWN_FLAG: {
    meaning: '`switchyard kill` (or the kill-switch workflow) was given a flag that has no rollout file.',
    hint: 'Pass the file name of a rollouts/*.yaml without .yaml.',
  },
  E_PLAN_BASELINE: {
    meaning:
      '`switchyard plan` has no usable baseline (mean and spread) for the primary metric yet, so it cannot size the experiment.',
    hint: 'Pass --baseline and --sd, or collect events for the metric first (`switchyard ingest`).',
  },
  E_REPORT_CONFIG_INVALID: {
    meaning: 'A blocker of the PR report: the changed configuration does not validate.',
    hint: 'Run `switchyard validate`; each error names file:line:col and a fix.',
  },
  E_REPORT_SCHEMA_MISSING: {
    meaning:
      '`switchyard github comment` cannot load schemas/report.schema.json, so it refuses to post a report it cannot check.',
    hint: 'Run from the repository root of the default branch (the comment job checks it out).',
  },
  E_REPORT_STALE_RESULT: {
    meaning:
      'An eval or shadow result was produced for another commit or configuration; `switchyard report` does not combine it into the verdict.',
    hint: 'Re-run `switchyard eval` / `switchyard shadow` for this commit.',
  },
  E_REPORT_UNREADABLE_RESULT: {
    meaning: 'A blocker of the PR report: some eval result files could not be read or parsed.',
    hint: 'Re-run `switchyard eval`; check .switchyard/results for truncated files.',
  },
  E_RUN_NOT_SUCCESSFUL: {
    meaning:
      'The comment job shows the report as failing because the pr workflow run did not conclude successfully, whatever the report itself says.',
    hint: 'Open the pr run (linked in the comment) and fix the failing job.',
  },
  E_SETUP_API: {
    meaning: '`switchyard github setup` got an error from the GitHub API (the HTTP status is in the message).',
    hint: 'With 403 or 404 the token needs admin rights on the repository (branch protection is an admin setting).',
  },
  E_SETUP_NO_PR_WORKFLOW: {
    meaning:
      '`switchyard github setup` cannot read .github/workflows/pr.yml, whose jobs are the required checks it sets.',
    hint: 'Run it from the repository root, with the pr workflow committed.',
  },
  E_SHADOW_GATE: {
    meaning:
      "A blocker of the PR report: a shadow comparison's similarity (average or minimum) does not clear its gate.",
    hint: 'Look at the least similar answers in the report; change the candidate or, by a reviewed change, the gate.',
  },
  E_SHADOW_MISSING: {
    meaning:
      'A blocker of the PR report: the change requires a shadow comparison but there is no result (shadow did not run, crashed or used another base).',
    hint: 'Run `switchyard shadow` for this commit and base before `switchyard report`.',
  },
  E_SHUTDOWN: {
    meaning: 'The chat service failed while shutting down (finishing requests, flushing events); it exits 1.',
    hint: 'The message says which step failed; events not flushed may be lost.',
  },
  E_SIGN_KEY_NOT_TRUSTED: {
    meaning:
      '`switchyard sign`: none of the signing keys is in switchyard.yaml signing.trustedKeys, so no runtime of the project would accept the bundle.',
    hint: 'Sign with a trusted key, or add its key id to signing.trustedKeys by a reviewed change (docs/guides/rotate-signing-keys.md).',
  },
  E_STORE_WRITE: {
    meaning: '`switchyard ingest` could not write the events to the event store (the message says why).',
    hint: 'Check the database URL and that it is reachable and writable.',
  },
  E_OFFLINE_REQUEST: {
    meaning:
      'The offline model server (SWITCHYARD_OFFLINE=1) refused a request: unknown URL or model, or a malformed body; the client gets the provider-style error body, whose message says which.',
    hint: 'Use a model the offline server knows (src/eval/offline/) or run the eval live.',
  },
  E_CANONICAL_JSON: {
    meaning:
      'A value has no canonical JSON form (RFC 8785): a non-finite number, a lone surrogate, undefined, a function, a bigint or a cycle, at the JSON pointer the message names.',
    hint: 'Remove or convert the value at that pointer; compiled bundles report it as E_BUNDLE_NOT_JSON.',
  },
};
