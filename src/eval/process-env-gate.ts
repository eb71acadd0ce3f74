/**
 * Concurrent provider calls that need different values of a process-wide setting. promptfoo's
 * Ollama provider reads its base URL only from `process.env.OLLAMA_BASE_URL` (see
 * docs/evaluation.md), so a shadow comparison between two Ollama servers cannot run both sides at
 * once. The gate lets any number of calls with the same values run together and makes calls with
 * other values wait until those finish; calls that need nothing pass straight through.
 */

interface Waiter {
  key: string;
  env: Record<string, string>;
  admit: () => void;
}

export class ProcessEnvGate {
  private key: string | undefined;
  private active = 0;
  private readonly waiting: Waiter[] = [];
  /** Values the variables had before the gate first set them, restored when it drains. */
  private readonly saved = new Map<string, string | undefined>();

  /** Runs `work` while `process.env` holds `env`. */
  async run<T>(env: Record<string, string>, work: () => Promise<T>): Promise<T> {
    const entries = Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (entries.length === 0) return work();
    const key = JSON.stringify(entries);
    if (this.active === 0 || (this.key === key && this.waiting.length === 0)) this.enter(key, env);
    else await new Promise<void>((admit) => this.waiting.push({ key, env, admit }));
    try {
      return await work();
    } finally {
      this.leave();
    }
  }

  private enter(key: string, env: Record<string, string>): void {
    if (this.key !== key) {
      for (const [name, value] of Object.entries(env)) {
        if (!this.saved.has(name)) this.saved.set(name, process.env[name]);
        process.env[name] = value;
      }
      this.key = key;
    }
    this.active++;
  }

  private leave(): void {
    this.active--;
    if (this.active > 0) return;
    const next = this.waiting[0];
    if (next) {
      // Admit every waiter with the next values together (they may run concurrently).
      const admitted = this.waiting.filter((w) => w.key === next.key);
      this.waiting.splice(0, this.waiting.length, ...this.waiting.filter((w) => w.key !== next.key));
      for (const w of admitted) {
        this.enter(w.key, w.env);
        w.admit();
      }
      return;
    }
    for (const [name, value] of this.saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    this.saved.clear();
    this.key = undefined;
  }
}
