import { resolveCname } from "node:dns/promises";
import { errorMessage } from "../errors.ts";

/**
 * AWS Health is active/passive: us-east-1 and us-east-2 both answer, but only the active one has the
 * latest data, and a pagination token belongs to the region that issued it. The active region is the
 * CNAME target of the global endpoint (https://docs.aws.amazon.com/health/latest/ug/health-api.html#endpoints).
 */
export const GLOBAL_HOST = "global.health.amazonaws.com";
/** Where the backfill goes when the global name cannot be resolved, as AWS's own samples do. */
export const FALLBACK_REGION = "us-east-1";
/** How long an answer is trusted: the guide's example shows a TTL of 10 s. */
export const RECHECK_MS = 10_000;

/** The CNAME targets of a host name; `test` when a test stands in for DNS (see cnameLookup). */
export type CnameLookup = ((host: string) => Promise<string[]>) & { readonly test?: boolean };

/** The region a CNAME target names (`health.us-east-2.amazonaws.com`), or undefined. */
export function regionOfCname(target: string): string | undefined {
  return /^health\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com\.?$/.exec(target.trim().toLowerCase())?.[1];
}

export interface ActiveRegion {
  readonly region: string;
  /** Why the fallback region was taken; undefined when the global name answered. */
  readonly fallback?: string;
}

/** The active region now: the CNAME of the global endpoint, or us-east-1 when it cannot be resolved. */
export async function activeRegion(lookup: CnameLookup): Promise<ActiveRegion> {
  try {
    const targets = await withTimeout(lookup(GLOBAL_HOST), 5_000);
    const region = targets.map(regionOfCname).find((r) => r !== undefined);
    if (region) return { region };
    return {
      region: FALLBACK_REGION,
      fallback: `${GLOBAL_HOST} names no Health region (${targets.join(", ") || "no CNAME"})`,
    };
  } catch (error) {
    const code = (error as { code?: string } | undefined)?.code ?? errorMessage(error);
    return { region: FALLBACK_REGION, fallback: `${GLOBAL_HOST} could not be resolved (${code})` };
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error("timed out"), { code: "ETIMEOUT" })), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * How the global name is looked up: DNS, or, where HEALTH_BACKFILL_TEST_GLOBAL_CNAME names a URL (tests,
 * with the simulator's `/global-cname`), the text that URL answers, as a CNAME target would read.
 */
export function cnameLookup(env: NodeJS.ProcessEnv): CnameLookup {
  const url = env.HEALTH_BACKFILL_TEST_GLOBAL_CNAME?.trim();
  if (!url) return (host) => resolveCname(host);
  const lookup = async () => {
    const answer = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!answer.ok)
      throw Object.assign(new Error(`HTTP ${answer.status}`), { code: `HTTP ${answer.status}` });
    return [await answer.text()];
  };
  return Object.assign(lookup, { test: true });
}

/** The active region, looked up again at most every RECHECK_MS. */
export class RegionWatch {
  readonly #lookup: CnameLookup;
  readonly #clock: () => number;
  #last: { readonly at: number; readonly answer: ActiveRegion } | undefined;

  constructor(lookup: CnameLookup, clock: () => number = () => performance.now()) {
    this.#lookup = lookup;
    this.#clock = clock;
  }

  async current(): Promise<ActiveRegion> {
    const now = this.#clock();
    if (this.#last && now - this.#last.at < RECHECK_MS) return this.#last.answer;
    const answer = await activeRegion(this.#lookup);
    this.#last = { at: this.#clock(), answer };
    return answer;
  }
}
