/**
 * Shadow mode (the article's `generateWithShadow`, without its `Promise.all`): the user's answer is
 * sent first; the candidate snapshot is called afterwards, in the background, on the same messages,
 * the pair scored for similarity and recorded with `recordShadow` into the event store. A failing,
 * slow or overloaded candidate never touches the user's request: work beyond `maxInFlight` is
 * dropped (and counted), errors are recorded as shadow events with `error`.
 */
import type { PayloadModelParams, SwitchyardClient } from '@switchyard/runtime';
import { ApiError } from './errors.ts';
import type { Logger } from './logger.ts';
import { describe, type ChatMessage, type ModelGateway, type Provider } from './model-gateway.ts';

export interface ShadowJob {
  rollout: string;
  alias: string;
  primary: string;
  candidate: string;
  unitKey: string;
  requestId: string;
  messages: ChatMessage[];
  params: PayloadModelParams;
  provider: Provider;
  primaryOutput: string;
  primaryLatencyMs: number;
  /** Below this similarity the pair is logged as divergent (the rollout's gate `minMinSimilarity`). */
  alertBelow: number;
}

export interface ShadowStats {
  submitted: number;
  recorded: number;
  failed: number;
  dropped: number;
  divergent: number;
  inFlight: number;
}

export class ShadowRunner {
  private readonly gateway: ModelGateway;
  private readonly runtime: Pick<SwitchyardClient, 'recordShadow'>;
  private readonly log: Logger;
  private readonly maxInFlight: number;
  private readonly running = new Set<Promise<void>>();
  private counts: Omit<ShadowStats, 'inFlight'> = { submitted: 0, recorded: 0, failed: 0, dropped: 0, divergent: 0 };

  constructor(
    gateway: ModelGateway,
    runtime: Pick<SwitchyardClient, 'recordShadow'>,
    log: Logger,
    options: { maxInFlight?: number } = {},
  ) {
    this.gateway = gateway;
    this.runtime = runtime;
    this.log = log;
    this.maxInFlight = options.maxInFlight ?? 16;
  }

  /**
   * Schedules the candidate call for after the current I/O callbacks (the caller has written its
   * response by then). Returns false when the job was dropped because too many are in flight.
   */
  submit(job: ShadowJob): boolean {
    if (this.running.size >= this.maxInFlight) {
      this.counts.dropped++;
      return false;
    }
    this.counts.submitted++;
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.run(job))
      .catch(() => {
        // run() records its own failures; nothing may escape a background job
      })
      .finally(() => this.running.delete(run));
    this.running.add(run);
    return true;
  }

  private async run(job: ShadowJob): Promise<void> {
    const base = {
      rollout: job.rollout,
      model: job.alias,
      primary: job.primary,
      candidate: job.candidate,
      unitKey: job.unitKey,
      requestId: job.requestId,
      primaryOutput: job.primaryOutput,
      primaryLatencyMs: job.primaryLatencyMs,
    };
    let candidate;
    try {
      candidate = await this.gateway.chat(job.candidate, job.messages, job.params, job.provider);
    } catch (error) {
      this.counts.failed++;
      // The provider's own text is evidence for the operator (event store, log), never client-facing here.
      const detail = error instanceof ApiError && error.internal !== undefined ? error.internal : describe(error);
      this.runtime.recordShadow({ ...base, error: detail });
      this.log.warn('shadow model error', {
        rollout: job.rollout,
        candidate: job.candidate,
        requestId: job.requestId,
        error: detail,
      });
      return;
    }
    const { score } = await this.gateway.similarity(job.primaryOutput, candidate.content);
    this.runtime.recordShadow({
      ...base,
      candidateOutput: candidate.content,
      candidateLatencyMs: candidate.latencyMs,
      similarity: score,
    });
    this.counts.recorded++;
    if (score < job.alertBelow) {
      this.counts.divergent++;
      this.log.warn('candidate model diverges from the current model', {
        rollout: job.rollout,
        requestId: job.requestId,
        similarity: score,
        primary: job.primary,
        candidate: job.candidate,
      });
    }
  }

  stats(): ShadowStats {
    return { ...this.counts, inFlight: this.running.size };
  }

  /** Resolves when every job submitted so far has finished (shutdown waits for it, with a deadline). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
