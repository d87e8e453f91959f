/**
 * Runs jobs one at a time beside the caller, with at most one waiting: a newer job replaces the one
 * waiting (a newer checkpoint makes an older one that has not started pointless). `run` must not
 * reject; the queue swallows a rejection it gets anyway, so one bad upload never stops the next.
 */
export class LatestOnlyQueue<T> {
  readonly #run: (job: T) => Promise<void>;
  #waiting: { readonly job: T } | undefined;
  #running: Promise<void> | undefined;

  constructor(run: (job: T) => Promise<void>) {
    this.#run = run;
  }

  /** Queues `job` in place of the one waiting, and starts it at once when nothing runs. */
  push(job: T): void {
    this.#waiting = { job };
    this.#running ??= this.#drain();
  }

  /** Forgets the job waiting, if any; the one running finishes. */
  drop(): void {
    this.#waiting = undefined;
  }

  /** Resolves when nothing runs and nothing waits. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    try {
      for (let next = this.#waiting; next; next = this.#waiting) {
        this.#waiting = undefined;
        await this.#run(next.job).catch(() => {});
      }
    } finally {
      this.#running = undefined;
    }
  }
}
