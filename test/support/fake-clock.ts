/**
 * Preloaded into a child process (`node --import`) by `fakeClock()` in clock.ts: its clock starts at
 * HEALTH_BACKFILL_TEST_NOW (epoch ms) and runs at the real pace, so a test can run the real program
 * "tomorrow" or "100 days later" against a simulator on the same clock. `Date.now()` and `new Date()`
 * follow it; timers and performance.now() do not need to.
 */
const start = Number(process.env.HEALTH_BACKFILL_TEST_NOW);
const began = performance.now();
const RealDate = Date;

function now(): number {
  return start + Math.floor(performance.now() - began);
}

class FakeDate extends RealDate {
  constructor(...args: number[]) {
    if (args.length === 0) super(now());
    else super(...(args as [number, number]));
  }

  static override now(): number {
    return now();
  }
}

if (Number.isFinite(start)) globalThis.Date = FakeDate as DateConstructor;
