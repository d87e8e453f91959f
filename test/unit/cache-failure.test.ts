import { describe, expect, it } from "vitest";
import { CacheWarnings, describeCacheFailure } from "../../src/action/cache/failure.ts";

/** The library's last words for a failed save: the same for a rate limit, a 5xx and a refused connection. */
const reserve = (key: string) =>
  `Failed to save: Unable to reserve cache with key ${key}, another job may be creating this cache.`;

describe("describeCacheFailure", () => {
  it("says what happened, from the lines @actions/cache printed before its last words", () => {
    const cases: [string[], string, string][] = [
      [
        [
          "::debug::Failed to reserve cache: Error: Failed to CreateCacheEntry: Rate limited: Failed request: (429) Too Many Requests",
        ],
        reserve("k-1"),
        "rate limited: HTTP 429",
      ],
      [
        [
          "Attempt 1 of 5 failed with error: Failed request: (503) Service Unavailable. Retrying request in 3000 ms...",
        ],
        reserve("k-2"),
        "unavailable: HTTP 503",
      ],
      [
        [
          "::debug::Failed to reserve cache: Error: Failed to CreateCacheEntry: Unable to make request: ECONNREFUSED%0AIf you are",
        ],
        reserve("k-3"),
        "unavailable: ECONNREFUSED",
      ],
      [
        [
          "::warning::Failed to save: Unable to reserve cache with key k-4. More details: cache write denied: token has no writable scopes",
        ],
        "Failed to save: Unable to reserve cache with key k-4. More details: cache write denied: token has no writable scopes",
        "read-only for this workflow run: cache write denied",
      ],
      [
        [
          "::debug::Failed to reserve cache: Error: Failed to CreateCacheEntry: Received non-retryable error: Failed request: (409) Conflict",
        ],
        reserve("k-5"),
        "an entry with this key exists already: HTTP 409",
      ],
    ];
    for (const [lines, reason, said] of cases) expect(describeCacheFailure(lines, reason)).toBe(said);
  });

  it("keeps the library's words for other failures, without the key, so they read the same at every page", () => {
    const words = (key: string) => describeCacheFailure([reserve(key)], reserve(key));
    expect(words("health-backfill-j-null-f-1-1-000001")).toBe(
      "Failed to save: Unable to reserve cache, another job may be creating this cache.",
    );
    expect(words("health-backfill-j-null-f-1-1-000002")).toBe(words("health-backfill-j-null-f-1-1-000001"));
  });
});

describe("CacheWarnings", () => {
  it("warns once per reason; the rest are log lines", () => {
    const log = { warning: [] as string[], info: [] as string[], debug: [] as string[] };
    const warnings = new CacheWarnings({
      warning: (m) => log.warning.push(m),
      info: (m) => log.info.push(m),
      debug: (m) => log.debug.push(m),
    });
    warnings.tell("rate limited: HTTP 429", "page 1", "debug");
    warnings.tell("rate limited: HTTP 429", "page 2", "debug");
    warnings.tell("unavailable: HTTP 503", "page 3", "debug");
    warnings.tell("rate limited: HTTP 429", "the mark");
    expect(log).toEqual({ warning: ["page 1", "page 3"], info: ["the mark"], debug: ["page 2"] });
  });
});
