/**
 * What went wrong with a cache call, said plainly. `@actions/cache` ends most failed saves with
 * "Unable to reserve cache with key K, another job may be creating this cache", for a rate limit, an
 * unavailable service and a refused connection alike; what happened is in the lines before (issue 15).
 * The words carry no key, so the same failure reads the same at every page and warns once.
 */
const PLAIN: readonly [RegExp, (match: RegExpExecArray) => string][] = [
  [/cache write denied/i, () => "read-only for this workflow run: cache write denied"],
  [/\(429\)|rate limit/i, () => "rate limited: HTTP 429"],
  [/\(409\)/, () => "an entry with this key exists already: HTTP 409"],
  [/\((5\d\d)\)/, (m) => `unavailable: HTTP ${m[1]}`],
  [/Unable to make request: (E[A-Z]+)/, (m) => `unavailable: ${m[1]}`],
];

/** The library's own reason with the keys left out, for failures the table above does not know. */
function withoutKeys(reason: string): string {
  return reason.replace(/ with key \S+?(?=[,.]?(\s|$))/g, "");
}

/** `lines`: everything the cache call printed; `reason`: the library's own words for the failure. */
export function describeCacheFailure(lines: readonly string[], reason: string): string {
  const text = lines.join("\n");
  for (const [pattern, words] of PLAIN) {
    const match = pattern.exec(text);
    if (match) return words(match);
  }
  return withoutKeys(reason);
}

export interface WarningLog {
  warning(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/**
 * One warning per kind of failure in a step, as docs/cache.md promises: a read-only or rate-limited
 * cache fails every upload, the record and the completion mark alike. Later failures of a kind
 * already warned about are log lines (`repeat`), not annotations.
 */
export class CacheWarnings {
  readonly #log: WarningLog;
  readonly #warned = new Set<string>();

  constructor(log: WarningLog) {
    this.#log = log;
  }

  tell(reason: string, message: string, repeat: "info" | "debug" = "info"): void {
    if (!this.#warned.has(reason)) this.#log.warning(message);
    else this.#log[repeat](message);
    this.#warned.add(reason);
  }
}
