import type { PageBudget } from "./source.ts";

/**
 * What a request counts while it is in flight, until its answer is measured instead: the client's
 * state for it and an answer of ordinary size. Counting requests, not only answers, keeps a backfill
 * from queueing thousands of small requests that each cost memory before anything has arrived.
 */
export const REQUEST_BYTES = 16 * 1024;

/**
 * Requests of the page the writer waits for that may be in flight for the event its output waits for
 * when the budget is full: enough to keep the pacers busy (32 on the wire per API family), and a bound
 * however many accounts that event reaches.
 */
export const URGENT_REQUESTS = 128;

/** About the length of `value` as JSON, without building the JSON: what a page's data costs to hold. */
export function jsonBytes(value: unknown): number {
  if (typeof value === "string") return value.length + 2;
  if (value === null || typeof value !== "object") return 8;
  if (value instanceof Date) return 26;
  let n = 2;
  if (Array.isArray(value)) {
    for (const item of value) n += jsonBytes(item) + 1;
    return n;
  }
  for (const key in value) n += key.length + 4 + jsonBytes((value as Record<string, unknown>)[key]);
  return n;
}

interface PageState {
  /** Encoded lines of the page not yet written. */
  lines: number;
  /** Events of the page encoded so far: the next one is the event the page's output waits for. */
  done: number;
  /** Requests of the page admitted and not yet answered. */
  inFlight: number;
}

interface Waiter {
  readonly page: number;
  readonly index: number;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

/**
 * The bytes a backfill holds ahead of its writer (listed events, requests in flight, answers not yet
 * encoded, encoded lines not yet written) against a limit. Work waits for room in the order of the
 * output: by page, then by event within the page. Two exceptions keep it from ever deadlocking, whatever
 * the size of a page or of an event:
 * - the page the writer waits for (the head) does not count its own encoded lines against itself,
 *   because it cannot hand them over before it is complete;
 * - work for the event the head page's output waits for goes at once, up to URGENT_REQUESTS requests
 *   in flight (each answer lets the next one go).
 * So one page always gets through, an event at a time if need be, and everything else waits for room.
 */
export class Budget {
  readonly limit: number;
  #held = 0;
  #peak = 0;
  /** The page the writer waits for: the lowest page not yet handed over. */
  #head = 0;
  readonly #pages = new Map<number, PageState>();
  readonly #waiting: Waiter[] = [];

  constructor(limit: number) {
    if (!(limit > 0)) throw new RangeError(`The byte budget must be positive, got ${limit}.`);
    this.limit = limit;
  }

  /** Bytes held now. */
  get held(): number {
    return this.#held;
  }

  /** The most bytes held at once so far. */
  get peak(): number {
    return this.#peak;
  }

  /** The budget as the enrichment of page `n` sees it. */
  page(n: number): PageHandle {
    return new PageHandle(this, n);
  }

  /** Counts bytes taken (positive) or given back (negative). */
  hold(bytes: number): void {
    this.#held += bytes;
    if (this.#held > this.#peak) this.#peak = this.#held;
    if (bytes < 0) this.#pump();
  }

  /** `events` more events of page `n` encoded, into lines of `bytes` that wait for the writer. */
  encoded(n: number, bytes: number, events = 1): void {
    const state = this.#state(n);
    state.lines += bytes;
    state.done += events;
    this.hold(bytes);
    this.#pump();
  }

  /** Page `n` goes to the writer: the next page becomes the one the writer waits for. */
  handed(n: number): void {
    this.#head = Math.max(this.#head, n + 1);
    this.#pump();
  }

  /** The first `bytes` of page `n`'s lines are written ahead of the rest. */
  wrote(n: number, bytes: number): void {
    const state = this.#state(n);
    state.lines -= bytes;
    this.hold(-bytes);
  }

  /** Page `n` is written: its lines are no longer held. */
  written(n: number): void {
    const state = this.#pages.get(n);
    this.#pages.delete(n);
    if (state) this.hold(-state.lines);
  }

  /** Waits until a request for event `index` of page `n` may go out, and counts it in flight. */
  admit(n: number, index: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.#waiting.length === 0 && this.#fits(n, index)) {
      this.#start(n);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const at = this.#waiting.indexOf(waiter);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(signal.reason);
        this.#pump();
      };
      const waiter: Waiter = { page: n, index, resolve, reject, signal, onAbort };
      let at = this.#waiting.length;
      while (at > 0 && comesAfter(this.#waiting[at - 1] as Waiter, waiter)) at--;
      this.#waiting.splice(at, 0, waiter);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#pump();
    });
  }

  /** Counts a request of page `n` in flight, admitted or going out without waiting. */
  #start(n: number): void {
    this.#state(n).inFlight += 1;
    this.hold(REQUEST_BYTES);
  }

  /** Counts a request of page `n` that goes out without waiting for room (admitted work needs it). */
  started(n: number): void {
    this.#start(n);
  }

  /** A request of page `n` answered (or failed): what is kept of its answer takes `bytes`. */
  answered(n: number, bytes: number): void {
    const state = this.#pages.get(n);
    if (state) state.inFlight -= 1;
    this.hold(bytes - REQUEST_BYTES);
    this.#pump();
  }

  /** Whether one more request for event `index` of page `n` may go out now. */
  #fits(n: number, index: number): boolean {
    if (n < this.#head) return true;
    if (n > this.#head) return this.#held + REQUEST_BYTES <= this.limit;
    const state = this.#pages.get(n);
    if (index <= (state?.done ?? 0) && (state?.inFlight ?? 0) < URGENT_REQUESTS) return true;
    return this.#held - (state?.lines ?? 0) + REQUEST_BYTES <= this.limit;
  }

  /** Lets waiters go in order while they fit; the first that does not holds the others back. */
  #pump(): void {
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0] as Waiter;
      if (!this.#fits(next.page, next.index)) return;
      this.#waiting.shift();
      next.signal.removeEventListener("abort", next.onAbort);
      this.#start(next.page);
      next.resolve();
    }
  }

  #state(n: number): PageState {
    let state = this.#pages.get(n);
    if (!state) {
      state = { lines: 0, done: 0, inFlight: 0 };
      this.#pages.set(n, state);
    }
    return state;
  }
}

function comesAfter(a: Waiter, b: Waiter): boolean {
  return a.page > b.page || (a.page === b.page && a.index > b.index);
}

/**
 * One page's share of the budget. It keeps count of what the page holds (listed events, requests in
 * flight, answers), so that `close` gives it all back however the page's enrichment ended.
 */
export class PageHandle implements PageBudget {
  readonly #budget: Budget;
  readonly #n: number;
  #held = 0;
  #closed = false;

  constructor(budget: Budget, n: number) {
    this.#budget = budget;
    this.#n = n;
  }

  async admit(index: number, signal: AbortSignal): Promise<void> {
    await this.#budget.admit(this.#n, index, signal);
    this.#take(REQUEST_BYTES);
  }

  admitNow(): void {
    this.#budget.started(this.#n);
    this.#take(REQUEST_BYTES);
  }

  answered(bytes: number): void {
    // After close, the request's room was given back already: only its count in flight remains.
    const kept = this.#closed ? REQUEST_BYTES : bytes;
    if (!this.#closed) this.#held += bytes - REQUEST_BYTES;
    this.#budget.answered(this.#n, kept);
  }

  drop(bytes: number): void {
    this.hold(-bytes);
  }

  /** Counts bytes this page takes (positive) or gives back (negative). */
  hold(bytes: number): void {
    if (this.#closed) return;
    this.#held += bytes;
    this.#budget.hold(bytes);
  }

  /** Gives back everything the page still holds; later counts are ignored. */
  close(): void {
    if (this.#closed) return;
    this.#budget.hold(-this.#held);
    this.#held = 0;
    this.#closed = true;
  }

  #take(bytes: number): void {
    // Admitted after the page closed (its enrichment failed meanwhile): give it straight back.
    if (!this.#closed) this.#held += bytes;
    else this.#budget.hold(-bytes);
  }
}
