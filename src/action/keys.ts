import type { RunContext } from "./env.ts";

/**
 * Cache keys. Keys are immutable, so every save gets a new one; restore asks for the prefix of this
 * run and the service returns the newest entry under it (REFERENCE.md, section 2).
 *   <prefix>-<job>-<query fingerprint>-<run id>-<attempt>-<sequence>
 */
export interface CacheKeys {
  /** Every entry of this job, query and run starts with this; restore uses it. */
  readonly run: string;
  /** The key of the n-th save of this attempt. */
  save(sequence: number): string;
  /** The key of the post step's save of this attempt. */
  readonly post: string;
}

function clean(part: string): string {
  // Keys may not hold commas; keep them readable and short (at most 512 characters in all).
  return part.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 100);
}

export function cacheKeys(prefix: string, ctx: RunContext, fingerprint: string): CacheKeys {
  const run = `${clean(prefix)}-${clean(ctx.job)}-${fingerprint}-${clean(ctx.runId)}-`;
  return {
    run,
    save: (sequence) => `${run}${ctx.attempt}-${String(sequence).padStart(6, "0")}`,
    post: `${run}${ctx.attempt}-post`,
  };
}
