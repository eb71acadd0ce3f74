/** An application's own table as the records of a SchemaMigration (docs/guides/conversation-migration.md, "Your own table"). */
export { checkStorage, IDENTIFIER, type TableStorage, type CheckedStorage } from './storage.ts';
export { inspectTable, type InspectedTable } from './inspect.ts';
export { userTableSql } from './table-sql.ts';
export { openTableReader, type TableReader, type TableReaderOptions, type TableRead } from './lazy-read.ts';
