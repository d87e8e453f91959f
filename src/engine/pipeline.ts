import { setImmediate } from "node:timers";
import type { ResolvedRequest } from "./request.ts";
import type { EventRecord, EventSource } from "./source.ts";

/** Tokens remembered to catch a cycle; a bound keeps memory flat however long the backfill. */
const REMEMBERED_TOKENS = 1000;

function remember(seen: Set<string>, token: string): void {
  seen.add(token);
  if (seen.size > REMEMBERED_TOKENS) seen.delete(seen.values().next().value as string);
}

function lastUpdated(records: readonly EventRecord[]): number | undefined {
  const time = records.at(-1)?.lastUpdatedTime;
  const ms = typeof time === "string" ? Date.parse(time) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/** A page ready to write: its records, encoded, and the token that follows it. */
export interface ReadyPage {
  readonly encoded: Uint8Array;
  readonly count: number;
  readonly nextToken: string | undefined;
  /** When the API returned `nextToken` (epoch ms). */
  readonly receivedAt: number;
  /** The last record's lastUpdatedTime (epoch ms): how far back through the window the page reaches. */
  readonly reached: number | undefined;
}

export interface PipelineOptions {
  readonly source: EventSource;
  /** Turns a page of records into output bytes. */
  readonly encode: (records: EventRecord[]) => Uint8Array;
  readonly request: ResolvedRequest;
  readonly firstToken: string | undefined;
  /** Pages fetched or enriched ahead of the writer. */
  readonly depth: number;
  readonly clock: () => number;
  readonly signal: AbortSignal;
  /** Consecutive empty pages that still carry a token before giving up. */
  readonly maxEmptyPages: number;
}

/**
 * Lists pages one after the other, as fast as the API answers, and enriches each as soon as it is
 * listed, while the writer takes them in order. So the list call for page n+1 is already on the wire
 * while page n is written and checkpointed, and details of several pages overlap. At most `depth`
 * pages wait in memory. A failure is delivered in order: the pages before it are still written.
 */
export async function* pagePipeline(o: PipelineOptions): AsyncGenerator<ReadyPage> {
  const stop = new AbortController();
  const signal = AbortSignal.any([o.signal, stop.signal]);
  const queue: Promise<ReadyPage | undefined>[] = [];
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const wait = () => new Promise<void>((resolve) => (wake = resolve));
  const push = (item: Promise<ReadyPage | undefined>) => {
    item.catch(() => {}); // handled when the writer reaches it; avoids an unhandled rejection meanwhile
    queue.push(item);
    notify();
  };

  const list = (token: string | undefined) => {
    const listing = o.source.listPage(o.request, token, signal);
    listing.catch(() => {}); // awaited below; avoids an unhandled rejection while it waits
    return listing;
  };
  const produce = async () => {
    const seen = new Set<string>();
    let empty = 0;
    let token = o.firstToken;
    let listing = list(token);
    let listed = 0;
    for (;;) {
      const page = await listing;
      listed += 1;
      const receivedAt = o.clock();
      const next = page.nextToken || undefined;
      if (next !== undefined && (next === token || seen.has(next))) {
        throw new Error(
          `The API returned the same pagination token twice (after ${listed} pages); stopping rather than looping.`,
        );
      }
      empty = page.events.length === 0 && next !== undefined ? empty + 1 : 0;
      if (empty > o.maxEmptyPages) {
        throw new Error(
          `The API returned ${empty} empty pages in a row, each with a new token; stopping rather than looping.`,
        );
      }
      while (queue.length >= o.depth && !signal.aborted) await wait();
      signal.throwIfAborted();
      // The token chain is the critical path: the next list call goes out before this page is touched,
      // and the page is enriched on a later turn of the event loop, once the request is on the wire.
      if (next !== undefined) {
        remember(seen, next);
        listing = list(next);
      }
      push(
        new Promise<void>((resolve) => setImmediate(resolve))
          .then(() => o.source.enrich(o.request, page.events, signal))
          .then((records) => ({
            encoded: o.encode(records),
            count: records.length,
            nextToken: next,
            receivedAt,
            reached: lastUpdated(records),
          })),
      );
      if (next === undefined) return push(Promise.resolve(undefined));
      token = next;
    }
  };
  const producer = produce().catch((error: unknown) => push(Promise.reject(error)));

  try {
    for (;;) {
      o.signal.throwIfAborted();
      while (queue.length === 0) await wait();
      const item = queue.shift() as Promise<ReadyPage | undefined>;
      notify();
      const page = await item;
      if (page === undefined) return;
      yield page;
    }
  } finally {
    stop.abort();
    notify();
    await producer;
  }
}
