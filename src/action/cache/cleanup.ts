import { errorMessage } from "../../errors.ts";

/**
 * Deletes the cache entries of a completed backfill through the REST API
 * (https://docs.github.com/en/rest/actions/cache), which needs a token with `actions: write`. Without
 * it the entries stay until GitHub evicts them, 7 days after their last use.
 */
export type Cleanup =
  | { readonly kind: "deleted"; readonly entries: number; readonly bytes: number }
  /** The token may not list or delete caches (or there is none): a notice, not a warning. */
  | { readonly kind: "not-permitted"; readonly detail: string }
  | { readonly kind: "failed"; readonly detail: string; readonly entries: number };

export interface CleanupOptions {
  /** GITHUB_API_URL, without a trailing slash. */
  readonly apiUrl: string;
  /** GITHUB_REPOSITORY, `owner/name`. */
  readonly repository: string | undefined;
  readonly token: string;
  /** Every entry whose key starts with this goes. */
  readonly prefix: string;
  /**
   * Deleted last, and only when every other entry went: the completion marker, which keeps a later
   * attempt from continuing an older checkpoint that a failed delete left behind.
   */
  readonly last?: string | undefined;
  readonly fetch?: typeof fetch;
}

interface ListedEntry {
  readonly id: number;
  readonly key: string;
  readonly size_in_bytes: number;
}

class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const PER_PAGE = 100;

async function call(o: CleanupOptions, method: string, path: string): Promise<unknown> {
  const response = await (o.fetch ?? fetch)(`${o.apiUrl}/repos/${o.repository}/actions/caches${path}`, {
    method,
    headers: {
      accept: "application/vnd.github+json",
      authorization: `Bearer ${o.token}`,
      "user-agent": "health-backfill-action",
      "x-github-api-version": "2022-11-28",
    },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) {
    const message = (() => {
      try {
        return String((JSON.parse(text) as { message?: unknown }).message ?? text);
      } catch {
        return text;
      }
    })();
    throw new ApiError(response.status, `${method} caches: HTTP ${response.status} ${message}`.trim());
  }
  return text ? JSON.parse(text) : undefined;
}

async function listAll(o: CleanupOptions): Promise<ListedEntry[]> {
  const all: ListedEntry[] = [];
  for (let page = 1; ; page++) {
    const query = `?key=${encodeURIComponent(o.prefix)}&per_page=${PER_PAGE}&page=${page}`;
    const body = (await call(o, "GET", query)) as { actions_caches?: ListedEntry[] } | undefined;
    const batch = body?.actions_caches ?? [];
    // The API matches keys by prefix; only this backfill's entries are ours to delete.
    all.push(...batch.filter((e) => e.key.startsWith(o.prefix)));
    if (batch.length < PER_PAGE) return all;
  }
}

export async function deleteEntries(o: CleanupOptions): Promise<Cleanup> {
  if (!o.token) return { kind: "not-permitted", detail: "no github-token was given" };
  if (!o.repository) return { kind: "failed", detail: "GITHUB_REPOSITORY is not set", entries: 0 };
  let entries = 0;
  let bytes = 0;
  try {
    const listed = await listAll(o);
    const order = [...listed.filter((e) => e.key !== o.last), ...listed.filter((e) => e.key === o.last)];
    // Serially, as GitHub asks of REST clients (secondary rate limits).
    for (const entry of order) {
      await call(o, "DELETE", `/${entry.id}`).catch((error: unknown) => {
        if (!(error instanceof ApiError && error.status === 404)) throw error; // already gone
      });
      entries += 1;
      bytes += entry.size_in_bytes;
    }
    return { kind: "deleted", entries, bytes };
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) {
      return { kind: "not-permitted", detail: error.message };
    }
    return { kind: "failed", detail: errorMessage(error), entries };
  }
}
