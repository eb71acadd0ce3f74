/**
 * The generation parameters a prompt version is called with: the model pin's `params`, overridden
 * key by key by the version's own (docs/runtime.md, `getPrompt`). The compiler writes them into the
 * payload, the decision table serves them, and the evaluator and shadow runs send them — all with
 * this one function, so CI measures the request production makes.
 */
export function effectiveParams<P extends object>(model: P | undefined, version: P | undefined): P {
  return { ...model, ...version } as P;
}
