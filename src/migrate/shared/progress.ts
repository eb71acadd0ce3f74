/**
 * A progress line with rate and ETA for long migrations, on stderr. On a terminal one line is
 * rewritten in place (at most every 100 ms); otherwise (CI logs, pipes) a full line is printed every
 * few seconds. `formatProgress` is pure, the reporter only decides when to print.
 */
export interface ProgressState {
  label: string;
  /** Units done in this run (after any resume point). */
  done: number;
  /** Units expected in this run, when known. */
  total: number | undefined;
  /** Units already done before this run (resumed from a checkpoint); counted in the bar, not the rate. */
  resumed?: number;
  elapsedMs: number;
  unit?: string;
  /** Extra `key value` notes (e.g. dead letters). */
  notes?: Record<string, number | string>;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const BAR = 24;

/** `label [#########...............] 37% 3,700/10,000 docs · 812 docs/s · ETA 7s` */
export function formatProgress(p: ProgressState): string {
  const unit = p.unit ?? 'items';
  const resumed = p.resumed ?? 0;
  const done = resumed + p.done;
  const total = p.total === undefined ? undefined : resumed + p.total;
  const rate = p.elapsedMs > 0 ? (p.done * 1000) / p.elapsedMs : 0;
  const parts = [p.label];
  if (total !== undefined && total > 0) {
    const share = Math.min(1, done / total);
    const filled = Math.round(share * BAR);
    parts.push(
      `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${Math.floor(share * 100)}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${unit}`,
    );
  } else {
    parts.push(`${done.toLocaleString('en-US')} ${unit}`);
  }
  const tail = [`${rate >= 100 ? Math.round(rate).toLocaleString('en-US') : rate.toFixed(1)} ${unit}/s`];
  if (total !== undefined && rate > 0 && done < total)
    tail.push(`ETA ${formatDuration(((total - done) / rate) * 1000)}`);
  else if (total !== undefined && done >= total) tail.push(`${formatDuration(p.elapsedMs)} elapsed`);
  for (const [key, value] of Object.entries(p.notes ?? {}))
    tail.push(`${key} ${typeof value === 'number' ? value.toLocaleString('en-US') : value}`);
  return `${parts.join(' ')} · ${tail.join(' · ')}`;
}

export interface ProgressReporterOptions {
  label: string;
  unit?: string;
  /** Where lines go (e.g. `process.stderr.write`). */
  write: (text: string) => void;
  /** Terminal: rewrite one line in place. */
  tty: boolean;
  /** Print nothing. */
  quiet?: boolean;
  /** Non-terminal: print at most this often (default 5 s). */
  intervalMs?: number;
  now?: () => number;
}

export interface ProgressReporter {
  /** Reports the current counts (printed only when due). */
  update(done: number, total: number | undefined, notes?: Record<string, number | string>, resumed?: number): void;
  /** Prints the final line (always, unless quiet) and ends the in-place line. */
  finish(): void;
}

export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const now = options.now ?? Date.now;
  const started = now();
  const every = options.tty ? 100 : (options.intervalMs ?? 5000);
  let last = -Infinity;
  let state: ProgressState | undefined;
  let width = 0;
  const print = () => {
    if (!state || options.quiet) return;
    const line = formatProgress({ ...state, elapsedMs: now() - started });
    if (options.tty) {
      options.write(`\r${line}${' '.repeat(Math.max(0, width - line.length))}`);
      width = line.length;
    } else {
      options.write(`${line}\n`);
    }
  };
  return {
    update(done, total, notes, resumed) {
      state = { label: options.label, unit: options.unit, done, total, notes, resumed, elapsedMs: 0 };
      const t = now();
      if (t - last >= every) {
        last = t;
        print();
      }
    },
    finish() {
      print();
      if (options.tty && !options.quiet && state) options.write('\n');
    },
  };
}
