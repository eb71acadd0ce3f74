// Preloaded with `node --import` by test/cli/behaviour.test.ts: appends every module URL the process
// resolves to $TRACE_IMPORTS_FILE, so a test can prove what `switchyard --help` does not load.
import { register } from 'node:module';

register('./trace-imports-hooks.mjs', import.meta.url);
