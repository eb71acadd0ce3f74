/**
 * promptfoo's assertion types (promptfoo 0.121.20, `BaseAssertionTypesSchema`), enumerated because
 * promptfoo itself accepts a misspelled type and only fails at run time. Each also exists negated
 * with a `not-` prefix. A test compares this list with the installed promptfoo's type declarations.
 */
export const PROMPTFOO_ASSERTION_TYPES = [
  'agent-rubric', 'answer-relevance', 'bleu', 'classifier', 'contains', 'contains-all', 'contains-any',
  'contains-html', 'contains-json', 'contains-sql', 'contains-xml', 'context-faithfulness', 'context-recall',
  'context-relevance', 'conversation-relevance', 'cost', 'equals', 'factuality', 'finish-reason', 'g-eval',
  'gleu', 'guardrails', 'icontains', 'icontains-all', 'icontains-any', 'is-html', 'is-json', 'is-refusal',
  'is-sql', 'is-valid-function-call', 'is-valid-openai-function-call', 'is-valid-openai-tools-call', 'is-xml',
  'javascript', 'latency', 'levenshtein', 'llm-rubric', 'pi', 'meteor', 'model-graded-closedqa',
  'model-graded-factuality', 'moderation', 'perplexity', 'perplexity-score', 'python', 'regex', 'rouge-n',
  'ruby', 'similar', 'similar:cosine', 'similar:dot', 'similar:euclidean', 'starts-with', 'tool-call-f1',
  'skill-used', 'trajectory:goal-success', 'trajectory:tool-args-match', 'trajectory:step-count',
  'trajectory:tool-sequence', 'trajectory:tool-used', 'trace-error-spans', 'trace-span-count',
  'trace-span-duration', 'search-rubric', 'webhook', 'word-count',
] as const;

/** Every accepted `type`: the base types and their `not-` negations. */
export const ALL_ASSERTION_TYPES: readonly string[] = [
  ...PROMPTFOO_ASSERTION_TYPES,
  ...PROMPTFOO_ASSERTION_TYPES.map((type) => `not-${type}`),
];
