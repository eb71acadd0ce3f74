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
    meaning: 'A command line the CLI cannot run: an unknown command, option or value (exit status 2).',
    hint: 'Run `switchyard <command> --help` for its options.',
  },
  E_VECTOR_SEARCH: {
    meaning:
      'A search on one index failed with an error that carries no code of its own; dual-read falls back to the other index.',
    hint: 'Check the database connection and that the index exists (`switchyard migrate embeddings <id> --verify`).',
  },
};
