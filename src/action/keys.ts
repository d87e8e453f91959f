import { createHash } from "node:crypto";
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

/**
 * A key part: kept as it is when it is short and plain, else a readable slug plus a hash of the whole
 * value, so two different values never share a key (keys hold no commas and at most 512 characters).
 * A plain part has no "~", a hashed one has: the two forms cannot meet. The job part holds no "-"
 * either, so `<prefix>-<job>` splits one way only ("a-b" + "c" and "a" + "b-c" stay apart).
 */
export function keyPart(part: string, dashes = true): string {
  const plain = dashes ? /^[A-Za-z0-9._-]{1,40}$/ : /^[A-Za-z0-9._]{1,40}$/;
  if (plain.test(part)) return part;
  const slug = part.replace(dashes ? /[^A-Za-z0-9._-]+/g : /[^A-Za-z0-9._]+/g, "_").slice(0, 32);
  return `${slug}~${createHash("sha256").update(part).digest("hex").slice(0, 12)}`;
}

export function cacheKeys(prefix: string, ctx: RunContext, fingerprint: string): CacheKeys {
  const run = `${keyPart(prefix)}-${keyPart(ctx.job, false)}-${fingerprint}-${keyPart(ctx.runId)}-`;
  return {
    run,
    save: (sequence) => `${run}${ctx.attempt}-${String(sequence).padStart(6, "0")}`,
    post: `${run}${ctx.attempt}-post`,
  };
}
