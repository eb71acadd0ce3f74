import { StoreError, type DatabaseSelection, type EventStore } from '@switchyard/data';
import { openProjectStore } from '../analysis/index.ts';
import type { CommandIo } from './command.ts';

/**
 * Opens the project's event store for an evidence command (`analyze`, `plan`, `propose`); a store
 * that cannot be opened is reported on stderr with its stable code and yields null (exit 1).
 */
export async function openEvidenceStore(command: string, root: string, io: CommandIo, database: DatabaseSelection): Promise<EventStore | null> {
  try {
    return await openProjectStore(root, io.env, database);
  } catch (error) {
    io.stderr(`switchyard ${command}: ${error instanceof StoreError ? error.code : 'E_STORE_OPEN'} ${(error as Error).message}`);
    return null;
  }
}
