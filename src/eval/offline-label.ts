/**
 * The label of answers from the offline model server, on its own so the report renderer can name
 * it without importing the endpoint (and with it the `openai` SDK): the PR comment job installs
 * only what posting needs (docs/ARCHITECTURE.md, scripts/install-comment-deps.sh).
 */
export const OFFLINE_LABEL =
  'Switchyard offline model server (deterministic test double on 127.0.0.1, not a real model)';
