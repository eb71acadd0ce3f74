/**
 * Child process for sink-validation.test.ts: a BatchedSink whose writer fails its first attempts,
 * then `await sink.close()` with nothing else keeping Node alive. Prints the final stats as JSON.
 * Before close() held a timer, Node exited during the retry back-off and printed nothing.
 */
import { BatchedSink } from '../../src/store/index.ts';

const failFirst = Number(process.argv[2] ?? 2);
const closeTimeoutMs = Number(process.argv[3] ?? 10_000);
let attempts = 0;
const sink = new BatchedSink({
  writeBatch: async () => {
    attempts += 1;
    if (attempts <= failFirst) throw new Error(`refused (attempt ${attempts})`);
  },
  retryDelayMs: 150,
  maxRetryDelayMs: 150,
  maxAttempts: 1000,
  closeTimeoutMs,
});
for (let i = 0; i < 10; i++) {
  sink.write({
    type: 'exposure',
    time: Date.now(),
    serial: 1,
    env: 'test',
    subject: 'experiment',
    key: 'k',
    variant: 'control',
    unitKey: `u${i}`,
  });
}
const started = Date.now();
await sink.close();
process.stdout.write(JSON.stringify({ ...sink.stats(), attempts, closeMs: Date.now() - started }));
