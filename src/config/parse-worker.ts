import { parentPort } from 'node:worker_threads';
import { parseYamlText, type ParsedYaml } from './yaml-parse.ts';

/** A batch of pre-scanned texts for one parse worker. */
export interface ParseRequest {
  id: number;
  texts: string[];
  maxAliasCount: number;
}

/** The worker's answer: one result per text, in order, or why the batch could not be answered. */
export type ParseReply = { id: number; results: ParsedYaml[] } | { id: number; failed: string };

// yaml's parser reads process.env.LOG_TOKENS once per token (~700,000 reads for 5,000 files), and
// process.env is an interceptor object where a read costs ~7× a plain property. A worker's env is
// its own copy of the parent's, so a plain-object snapshot changes nothing but that cost.
process.env = { ...process.env };

// Body of a parse worker (started through parse-worker.mjs, see parse-pool.ts): the same parse
// function as the in-thread path, answered with plain data only.
parentPort?.on('message', (request: ParseRequest) => {
  let reply: ParseReply;
  try {
    reply = { id: request.id, results: request.texts.map((text) => parseYamlText(text, request.maxAliasCount)) };
    parentPort?.postMessage(reply);
  } catch (error) {
    // A value the structured clone refuses, or a parser crash: the loader parses this batch itself.
    parentPort?.postMessage({ id: request.id, failed: (error as Error).message } satisfies ParseReply);
  }
});
