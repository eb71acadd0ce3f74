/**
 * The repository's error model (docs/ARCHITECTURE.md, "Errors and results"): thrown errors are
 * `SwitchyardError`s (code, message, hint, cause); pure steps return data — `Checked<T>` when they
 * report positioned diagnostics, `Result<T>` when they fail in one way at most.
 */
export { SwitchyardError, errorCode, type SwitchyardErrorOptions } from '@switchyard/runtime';
export { problem, type Problem, type Result } from './result.ts';
