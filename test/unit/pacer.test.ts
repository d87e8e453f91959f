import { describe, expect, it } from "vitest";
import { Pacer, type Ticket } from "../../src/health/pacer.ts";

/** A pacer on a virtual clock, driven against a token-bucket "server" of a given rate. */
function simulate(limit: number, seconds: number) {
  let now = 0;
  const pacer = new Pacer({
    clock: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    signal: new AbortController().signal,
    maxInFlight: 1,
  });
  let tokens = 10;
  let last = 0;
  let ok = 0;
  let throttled = 0;
  let warmThrottled = 0;
  return (async () => {
    while (now < seconds * 1000) {
      const ticket = await pacer.acquire(0);
      tokens = Math.min(10, tokens + ((now - last) * limit) / 1000);
      last = now;
      now += 1; // 1 ms round trip
      if (tokens >= 1) {
        tokens -= 1;
        ok += 1;
        pacer.done(ticket, "ok");
      } else {
        throttled += 1;
        if (now > 5000) warmThrottled += 1;
        pacer.done(ticket, "throttled");
      }
    }
    return { ok, throttled, warmThrottled, rate: pacer.rate };
  })();
}

/** A pacer whose clock stands still: only the order and the bound on requests in flight matter. */
function frozenPacer(maxInFlight: number): Pacer {
  return new Pacer({
    clock: () => 0,
    sleep: async () => {},
    signal: new AbortController().signal,
    maxInFlight,
  });
}

describe("pacer", () => {
  it("stays unpaced until the first throttle", async () => {
    const pacer = frozenPacer(2);
    for (let i = 0; i < 100; i++) pacer.done(await pacer.acquire(0), "ok");
    expect(pacer.rate).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([20, 100, 400])("settles near a %i/s limit with few throttles", async (limit) => {
    const r = await simulate(limit, 30);
    const achieved = r.ok / 30;
    expect(achieved).toBeGreaterThan(limit * 0.85);
    expect(achieved).toBeLessThanOrEqual(limit * 1.01 + 1);
    // The unpaced start costs a burst of throttles once; after it, few.
    expect(r.throttled / (r.ok + r.throttled)).toBeLessThan(0.1);
    expect(r.warmThrottled / r.ok).toBeLessThan(0.07);
  });

  it("bounds requests in flight", async () => {
    const pacer = frozenPacer(2);
    const a = await pacer.acquire(0);
    await pacer.acquire(0);
    let third = false;
    const waiting = pacer.acquire(0).then(() => (third = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false);
    pacer.done(a, "ok");
    await waiting;
    expect(third).toBe(true);
  });

  it("lets the oldest request go first, so a retry of an early page does not queue behind later pages", async () => {
    const pacer = frozenPacer(1);
    const first = await pacer.acquire(5);
    const released: number[] = [];
    const tickets = new Map<number, Ticket>();
    for (const order of [9, 7, 2, 8]) {
      void pacer.acquire(order).then((t) => {
        released.push(order);
        tickets.set(order, t);
      });
    }
    pacer.done(first, "ok");
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 1));
      const last = released.at(-1);
      if (last !== undefined) pacer.done(tickets.get(last) as Ticket, "ok");
    }
    expect(released).toEqual([2, 7, 8, 9]);
  });
});
