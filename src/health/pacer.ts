/**
 * A client-side pacer for one API family: additive increase, multiplicative decrease.
 *
 * AWS publishes no Health rate limits, and the SDK's retry alone backs off far longer than a throttle
 * needs (REFERENCE.md, section 1: 4.2x the rate floor). So each family starts unpaced; the first
 * throttle sets the pace just under the rate that actually succeeded in the last second, each success
 * adds a little, and each throttle of a request sent after the last cut cuts the pace again.
 */
export interface PacerOptions {
  readonly clock: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly signal: AbortSignal;
  /** Requests of this family on the wire at once. */
  readonly maxInFlight: number;
}

export type Outcome = "ok" | "throttled" | "failed";

const CUT = 0.85;
const STEP = 0.1; // requests per second added per success: recovers 15% of the pace in about 1.5 s
const WINDOW_MS = 1000;

export class Pacer {
  readonly #o: PacerOptions;
  #rate = Number.POSITIVE_INFINITY;
  #nextStart = 0;
  #inFlight = 0;
  #queue: (() => void)[] = [];
  #successes: number[] = [];
  #firstSuccess = -1;
  #lastCut = Number.NEGATIVE_INFINITY;
  sent = 0;
  throttled = 0;

  constructor(o: PacerOptions) {
    this.#o = o;
  }

  /** The current pace in requests per second (Infinity while unpaced). */
  get rate(): number {
    return this.#rate;
  }

  /** Waits for a slot; returns the send time to hand back to `done`. */
  async acquire(): Promise<number> {
    while (this.#inFlight >= this.#o.maxInFlight) {
      await new Promise<void>((resolve) => this.#queue.push(resolve));
      this.#o.signal.throwIfAborted();
    }
    this.#inFlight += 1;
    try {
      if (Number.isFinite(this.#rate)) {
        const now = this.#o.clock();
        const at = Math.max(now, this.#nextStart);
        this.#nextStart = at + 1000 / this.#rate;
        if (at > now) await this.#o.sleep(at - now, this.#o.signal);
      }
    } catch (error) {
      this.#release();
      throw error;
    }
    this.sent += 1;
    return this.#o.clock();
  }

  done(sentAt: number, outcome: Outcome): void {
    this.#release();
    const now = this.#o.clock();
    this.#forget(now);
    if (outcome === "ok") {
      this.#successes.push(now);
      if (this.#firstSuccess < 0) this.#firstSuccess = now;
      if (Number.isFinite(this.#rate)) this.#rate += STEP;
    } else if (outcome === "throttled") {
      this.throttled += 1;
      // Only a request sent after the last cut tells that the cut was not enough.
      if (sentAt >= this.#lastCut) {
        this.#rate = Math.max(1, Math.min(this.#rate, this.#successRate(now)) * CUT);
        this.#lastCut = now;
      }
    }
  }

  #forget(now: number): void {
    while (this.#successes.length > 0 && (this.#successes[0] as number) < now - WINDOW_MS)
      this.#successes.shift();
  }

  #successRate(now: number): number {
    if (this.#firstSuccess < 0) return 1;
    const span = Math.min(WINDOW_MS, Math.max(50, now - this.#firstSuccess));
    return (this.#successes.length * 1000) / span;
  }

  #release(): void {
    this.#inFlight -= 1;
    this.#queue.shift()?.();
  }
}
