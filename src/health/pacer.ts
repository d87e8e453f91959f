/**
 * A client-side pacer for one API family: additive increase, multiplicative decrease.
 *
 * AWS publishes no Health rate limits, and the SDK's retry alone backs off far longer than a throttle
 * needs (measured: 4.2x the rate floor; see docs/performance.md). So a family starts unpaced. The first throttle
 * sets a pace just under the rate that was succeeding (the server's rate, while it throttles); later
 * throttles cut the pace to 90% of that rate (at least 15%) and remember it as the ceiling. Below 90%
 * of the ceiling the pace climbs back fast (0.5 request/s per success), above it slowly (0.05 per
 * success), probing for more. Only
 * requests that had to wait for their slot raise the pace: when demand, not the pace, limits the
 * traffic, the pace says nothing about the server. After a cut, throttles of requests sent within a
 * short grace period are ignored: right after a cut the server's bucket is empty and refills slowly, so
 * jitter alone throttles a few requests that say nothing about the new pace. Cuts in quick succession
 * keep the ceiling of the first.
 *
 * Waiting requests go out oldest first by `order` (the backfill numbers them as it creates them, and
 * a retry keeps its number), so a retried request of the page the writer waits for does not queue
 * behind the requests of later pages.
 */
export interface PacerOptions {
  readonly clock: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly signal: AbortSignal;
  /** Requests of this family on the wire at once. */
  readonly maxInFlight: number;
}

export type Outcome = "ok" | "throttled" | "failed";

/** Handed out by `acquire`, handed back to `done`. */
export interface Ticket {
  readonly sentAt: number;
  /** The request waited for its slot: the pace, not demand, limited it. */
  readonly paced: boolean;
}

const CUT = 0.9;
const CUT_MAX = 0.85;
const FAST = 0.5;
const STEP = 0.05;
const WINDOW_MS = 1000;
const CASCADE_MS = 1000;
const GRACE_MS = 200;

interface Waiter {
  readonly order: number;
  readonly since: number;
  readonly resolve: (ticket: Ticket) => void;
  readonly reject: (error: unknown) => void;
}

export class Pacer {
  readonly #options: PacerOptions;
  #rate = Number.POSITIVE_INFINITY;
  #ceiling = Number.POSITIVE_INFINITY;
  #nextStart = 0;
  #inFlight = 0;
  #waiting: Waiter[] = [];
  #pumping = false;
  #successes: number[] = [];
  #firstSuccess = -1;
  #lastCut = Number.NEGATIVE_INFINITY;

  constructor(options: PacerOptions) {
    this.#options = options;
  }

  /** The current pace in requests per second (Infinity while unpaced). */
  get rate(): number {
    return this.#rate;
  }

  /** Waits for a slot; lower `order` goes first. */
  acquire(order: number): Promise<Ticket> {
    return new Promise((resolve, reject) => {
      const waiter = { order, since: this.#options.clock(), resolve, reject };
      let i = this.#waiting.length;
      while (i > 0 && (this.#waiting[i - 1] as Waiter).order > order) i--;
      this.#waiting.splice(i, 0, waiter);
      void this.#pump();
    });
  }

  /** Releases waiters while there is room on the wire and the pace allows; one pump at a time. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#waiting.length > 0 && this.#inFlight < this.#options.maxInFlight) {
        const now = this.#options.clock();
        if (Number.isFinite(this.#rate) && now < this.#nextStart) {
          await this.#options.sleep(this.#nextStart - now, this.#options.signal);
          continue;
        }
        const waiter = this.#waiting.shift() as Waiter;
        this.#inFlight += 1;
        if (Number.isFinite(this.#rate)) this.#nextStart = Math.max(now, this.#nextStart) + 1000 / this.#rate;
        waiter.resolve({ sentAt: now, paced: now > waiter.since || this.#waiting.length > 0 });
      }
    } catch (error) {
      for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
    } finally {
      this.#pumping = false;
    }
  }

  done(ticket: Ticket, outcome: Outcome): void {
    this.#inFlight -= 1;
    void this.#pump();
    const now = this.#options.clock();
    while (this.#successes.length > 0 && (this.#successes[0] as number) < now - WINDOW_MS)
      this.#successes.shift();
    if (outcome === "ok") {
      this.#successes.push(now);
      if (this.#firstSuccess < 0) this.#firstSuccess = now;
      if (ticket.paced) this.#rate = this.#rate < this.#ceiling * 0.9 ? this.#rate + FAST : this.#rate + STEP;
    } else if (outcome === "throttled") {
      if (ticket.sentAt >= this.#lastCut + GRACE_MS) this.#cut(now);
    }
  }

  #cut(now: number): void {
    // While throttled, the successes per second are the server's rate for this family.
    const measured = this.#successRate(now);
    // The first cut, out of an unpaced burst, measures little: leave the ceiling open until the next.
    const fresh = !Number.isFinite(this.#ceiling) || now - this.#lastCut > CASCADE_MS;
    if (Number.isFinite(this.#rate) && fresh) this.#ceiling = measured;
    this.#rate = Math.max(1, Math.min(this.#rate * CUT_MAX, measured * CUT));
    this.#lastCut = now;
  }

  /** Successes per second over the last second (or since the first success, if sooner). */
  #successRate(now: number): number {
    if (this.#firstSuccess < 0) return 1;
    const span = Math.min(WINDOW_MS, Math.max(200, now - this.#firstSuccess));
    return (this.#successes.length * 1000) / span;
  }
}
