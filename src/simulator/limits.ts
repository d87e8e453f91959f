import type { Family } from "./types.ts";

interface Bucket {
  tokens: number;
  last: number;
}

/** Burst when none is set: a tenth of a second's worth of requests, at least one. */
export function effectiveBurst(rate: number, burst: number): number {
  return burst > 0 ? burst : Math.max(1, Math.ceil(rate / 10));
}

/**
 * A token bucket per API family. Rate and burst are read on every call, so a running simulator's
 * limits can be changed. Uses a monotonic clock, not the injected token clock (tests freeze that one).
 */
export class RateLimiter {
  readonly #buckets = new Map<Family, Bucket>();
  readonly #clock: () => number;

  constructor(clock: () => number = () => performance.now()) {
    this.#clock = clock;
  }

  /** Takes one request's token; false when the family is over its rate (0 = unlimited). */
  take(family: Family, rate: number, burst: number): boolean {
    if (!(rate > 0)) return true;
    const capacity = effectiveBurst(rate, burst);
    const now = this.#clock();
    const bucket = this.#buckets.get(family) ?? { tokens: capacity, last: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.last) * rate) / 1000);
    bucket.last = now;
    this.#buckets.set(family, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
