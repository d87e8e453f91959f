import { setInterval } from "node:timers";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Keeps V8's heap close to what the backfill holds. Two of V8's growth rules suit a browser tab, not a
 * process that streams a hundred megabytes through a few megabytes of live data:
 * - The young generation doubles whenever enough of what it collects survives, up to a size fixed at
 *   start (128 MiB on a machine with 24 GiB); a long backfill of wide events, whose answers live until
 *   their event is complete, reaches that and holds it. A growth factor of 1 keeps it at a
 *   few MiB (test/unit/heap.test.ts).
 * - The old generation may grow to several times what survived the last full collection before the next
 *   one, and the external memory of dead buffers waits for that collection too. A growth of 100% lets it
 *   double at most.
 * Both flags are read each time V8 grows a space, so setting them as the process starts works (the caps
 * themselves, such as --max-semi-space-size, are read only at start, and the action's Node takes no
 * flags). Measured by `npm run bench` (docs/performance.md) under Node, Bun and Deno.
 * https://v8.dev/blog/trash-talk
 */
export function keepHeapSmall(): void {
  try {
    setFlagsFromString("--semi-space-growth-factor=1");
    setFlagsFromString("--heap-growing-percent=100");
  } catch {
    // a runtime without V8 flags: nothing to tune
  }
  const collect = collecting ? undefined : fullCollection();
  // Once per process (tests call run() many times); unref: it never keeps a finished run alive.
  if (collect) setInterval(collect, COLLECT_EVERY_MS).unref();
  collecting ||= collect !== undefined;
}

let collecting = false;

/**
 * How often a full collection runs. The flags above do not reach every engine: Bun runs
 * JavaScriptCore, and Deno's V8 keeps growing its young generation with them, so at 100,000 events
 * their peak RSS was 1.30-1.37x that at 10,000, over the 1.3x target (issue 15). A full collection
 * every 2 s of a heap of a few MiB takes milliseconds and brought both to 1.1-1.2x (docs/performance.md).
 */
export const COLLECT_EVERY_MS = 2000;

/** A full, synchronous collection where the runtime offers one: Bun.gc, or V8's gc once exposed. */
export function fullCollection(): (() => void) | undefined {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (typeof bun?.gc === "function") return () => bun.gc(true);
  try {
    setFlagsFromString("--expose-gc");
    // V8 puts gc() into the contexts it creates once the flag is set: a new context hands it out.
    const gc = runInNewContext("gc") as unknown;
    return typeof gc === "function" ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}
