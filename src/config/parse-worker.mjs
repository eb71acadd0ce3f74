// Entry of a YAML parse worker (see parse-pool.ts). The loader is TypeScript run through tsx; a
// worker does not inherit the parent's loader, so it registers tsx's in-thread require hook (much
// cheaper to start than a second ESM loader thread) and loads the real worker body.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
require('tsx/cjs/api').register();
require('./parse-worker.ts');
