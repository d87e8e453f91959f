import { createHash } from "node:crypto";
import { canonicalJson } from "../../util/json.ts";
import type { RunContext } from "../env.ts";

/**
 * Cache keys. Keys are immutable, so every upload gets a new one; a re-run asks for the prefix of its
 * run and leg and the service returns the newest entry under it (https://github.com/actions/cache/blob/main/tips-and-workarounds.md, "cache matching").
 *   <prefix>-<job>-<leg>-<query fingerprint>-<run id>-<attempt>-<sequence>
 * The leg part keeps matrix legs of one job apart: they share the job, run and attempt.
 */
export interface CacheKeys {
  /** Every entry of this job, leg, query and run starts with this: restore and cleanup use it. */
  readonly run: string;
  /** The key of the n-th upload of this attempt. */
  upload(sequence: number): string;
  /** The key of the post step's upload of this attempt. */
  readonly post: string;
}

/**
 * A key part: kept as it is when it is short and plain, else a readable slug plus a hash of the whole
 * value, so two different values never share a key (keys hold no commas and at most 512 characters).
 * A plain part has no "~", a hashed one has: the two forms cannot meet. Parts after the prefix hold no
 * "-", so a key splits one way only, read from its end ("a-b" + "c" and "a" + "b-c" stay apart).
 */
export function keyPart(part: string, dashes = true): string {
  const plain = dashes ? /^[A-Za-z0-9._-]{1,40}$/ : /^[A-Za-z0-9._]{1,40}$/;
  if (plain.test(part)) return part;
  const slug = part.replace(dashes ? /[^A-Za-z0-9._-]+/g : /[^A-Za-z0-9._]+/g, "_").slice(0, 32);
  return `${slug}~${createHash("sha256").update(part).digest("hex").slice(0, 12)}`;
}

/**
 * The leg part, from the `matrix` input (`${{ toJSON(matrix) }}`, `null` outside a matrix). The JSON is
 * put in canonical form first, so a runner that spaces it differently in a later attempt still finds
 * the leg's entries.
 */
export function legPart(matrix: string): string {
  const text = matrix.trim() || "null";
  let canonical = text;
  try {
    canonical = canonicalJson(JSON.parse(text));
  } catch {
    // Not JSON (set by hand): the text itself tells legs apart.
  }
  return keyPart(canonical, false);
}

/** Whether the job runs as one leg of a matrix, from its leg part (see legPart). */
export function isMatrixLeg(leg: string): boolean {
  return leg !== "null";
}

export function cacheKeys(prefix: string, ctx: RunContext, leg: string, fingerprint: string): CacheKeys {
  const run = `${keyPart(prefix)}-${keyPart(ctx.job, false)}-${leg}-${fingerprint}-${keyPart(ctx.runId, false)}-`;
  return {
    run,
    upload: (sequence) => `${run}${ctx.attempt}-${String(sequence).padStart(6, "0")}`,
    post: `${run}${ctx.attempt}-post`,
  };
}

/**
 * The prefix release 0.1.0 gave the entries of a run: no leg, the checkpoint and the whole output in
 * each entry. A re-run that this release serves may find the earlier attempt's entries under it. Its
 * parts are spelled as 0.1.0 spelled them (unusual characters as "_", cut at 100), not as keyPart
 * does: a job id with a "-" or a long checkpoint-key must still name the same entries.
 */
export function earlierReleaseRun(prefix: string, ctx: RunContext, fingerprint: string): string {
  const part = (value: string) => value.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 100);
  return `${part(prefix)}-${part(ctx.job)}-${fingerprint}-${part(ctx.runId)}-`;
}
