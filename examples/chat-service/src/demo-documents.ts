/**
 * The demo help-centre corpus (`demo/help-centre.jsonl`): indexed on the first start in demo mode
 * so RAG search, the canary and the embedding migration have something to find. Indexing goes
 * through the service's own path (`POST /documents`), so the documents land in every index the
 * embedding migration's phase writes to — exactly as an application's writes do.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DEMO_DOCUMENTS_FILE = join(import.meta.dirname, '..', 'demo', 'help-centre.jsonl');

export interface DemoDocument {
  id: string;
  /** The demo company every example in the README works for (`"tenant":"acme"`). */
  tenant?: string;
  content: string;
}

/** The corpus; a line that is not `{ id, content, tenant? }` is an error naming the line. */
export async function readDemoDocuments(file = DEMO_DOCUMENTS_FILE): Promise<DemoDocument[]> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  const docs: DemoDocument[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const value = JSON.parse(line) as Partial<DemoDocument>;
    if (
      typeof value.id !== 'string' ||
      typeof value.content !== 'string' ||
      (value.tenant !== undefined && typeof value.tenant !== 'string')
    ) {
      throw new Error(`${file}:${i + 1}: expected {"id": string, "tenant"?: string, "content": string}`);
    }
    docs.push({
      id: value.id,
      ...(value.tenant === undefined ? {} : { tenant: value.tenant }),
      content: value.content,
    });
  });
  return docs;
}

/**
 * Indexes the corpus through the running service when its document table is empty. Returns how
 * many documents were indexed (0 when there were documents already).
 */
export async function seedDemoDocuments(
  serviceUrl: string,
  documentCount: number,
  file = DEMO_DOCUMENTS_FILE,
): Promise<number> {
  if (documentCount > 0) return 0;
  const docs = await readDemoDocuments(file);
  for (const doc of docs) {
    const res = await fetch(`${serviceUrl}/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(doc),
    });
    if (res.status !== 201)
      throw new Error(`indexing demo document ${doc.id} failed: HTTP ${res.status} ${await res.text()}`);
  }
  return docs.length;
}
