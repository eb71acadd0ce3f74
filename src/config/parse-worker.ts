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
