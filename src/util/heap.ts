import { setFlagsFromString } from "node:v8";

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
 * flags). Measured by `npm run bench` (README, Performance) under Node; Bun and Deno accept the call.
 * https://v8.dev/blog/trash-talk
 */
export function keepHeapSmall(): void {
  try {
    setFlagsFromString("--semi-space-growth-factor=1");
    setFlagsFromString("--heap-growing-percent=100");
  } catch {
    // a runtime without V8 flags: nothing to tune
  }
}
