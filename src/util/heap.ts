import { setFlagsFromString } from "node:v8";

/**
 * Keeps V8's young generation at its starting size. V8 doubles it whenever enough of what it collects
 * survives, up to a size fixed at start (128 MiB on a machine with 24 GiB): a long backfill of wide
 * events, whose answers live until their event is complete, reaches that and holds it. The cap
 * cannot be lowered once the process runs (--max-semi-space-size is read at start, and the action's
 * Node takes no flags), but the growth factor is read at each growth, so a factor of 1 stops growth.
 * Measured by `npm run bench` (wide scenario): peak RSS 361 MiB without this, about 215 MiB with it, for
 * a few percent more CPU in minor collections. https://v8.dev/blog/orinoco-parallel-scavenger
 * Deno runs V8 too and takes the flag; Bun accepts the call and has no such generation.
 */
export function keepYoungGenerationSmall(): void {
  try {
    setFlagsFromString("--semi-space-growth-factor=1");
  } catch {
    // a runtime without V8 flags: nothing to tune
  }
}
