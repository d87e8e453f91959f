import { setImmediate } from "node:timers";
import { Budget, jsonBytes, type PageHandle } from "./budget.ts";
import type { ResolvedRequest } from "./request.ts";
import type { EventRecord, EventSource, Page } from "./source.ts";

/** Tokens remembered to catch a cycle; a bound keeps memory flat however long the backfill. */
const REMEMBERED_TOKENS = 1000;

function remember(seen: Set<string>, token: string): void {
  seen.add(token);
  if (seen.size > REMEMBERED_TOKENS) seen.delete(seen.values().next().value as string);
}

function lastUpdated(record: EventRecord | undefined): number | undefined {
  const time = record?.lastUpdatedTime;
  const ms = typeof time === "string" ? Date.parse(time) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/** A page ready to write: its records, encoded, and the token that follows it. */
export interface ReadyPage {
  /** The page's lines, or those not yet written ahead when it was written in parts (see `write`). */
  readonly encoded: Uint8Array;
  /** Events in the page, parts written ahead included. */
  readonly count: number;
  readonly nextToken: string | undefined;
  /** When the API returned `nextToken` (epoch ms). */
  readonly receivedAt: number;
  /** The last record's lastUpdatedTime (epoch ms): how far back through the window the page reaches. */
  readonly reached: number | undefined;
}

/**
 * What a backfill holds ahead of its writer unless told otherwise. A page of a narrow organization
 * takes about half a megabyte while its details are fetched (requests in flight included), so this
 * reads about as many pages ahead as the pacing needs; a page of events that reach thousands of
 * accounts takes a hundred times more, and is fetched and written in parts.
 */
export const DEFAULT_BUDGET_BYTES = 4 * 1024 * 1024;

export interface PipelineOptions {
  readonly source: EventSource;
  /** Turns records into output bytes. */
  readonly encode: (records: EventRecord[]) => Uint8Array;
  /**
   * Appends the beginning of a page to the output before the page is complete, when the page outgrows
   * a quarter of the budget, so a page of wide events does not wait in memory whole. The page's last
   * part is handed over as usual, and the checkpoint still follows it: bytes written ahead of a
   * checkpoint are cut off on resume like any page written after the last checkpoint. Without it,
   * pages are handed over whole.
   */
  readonly write?: (part: Uint8Array) => Promise<unknown>;
  readonly request: ResolvedRequest;
  readonly firstToken: string | undefined;
  /**
   * Bytes held ahead of the writer at most: listed events, requests in flight, answers not yet
   * encoded, encoded lines not yet written (see Budget). The page the writer waits for always gets
   * through. Default DEFAULT_BUDGET_BYTES.
   */
  readonly budgetBytes?: number;
  readonly clock: () => number;
  readonly signal: AbortSignal;
  /** Consecutive empty pages that still carry a token before giving up. */
  readonly maxEmptyPages: number;
}

interface Enriched {
  readonly count: number;
  readonly nextToken: string | undefined;
  readonly receivedAt: number;
  readonly reached: number | undefined;
}

/** A page in the pipeline: its encoded lines so far, and how its enrichment ends. */
class PageWork {
  readonly n: number;
  #lines: Uint8Array[] = [];
  #bytes = 0;
  #settled = false;
  #wake: (() => void) | undefined;
  /** How the enrichment ended; undefined: the page before was the last one. */
  result: Promise<Enriched | undefined> = Promise.resolve(undefined);

  constructor(n: number) {
    this.n = n;
  }

  /** Follows the page's enrichment; a failure is rethrown where the writer awaits `result`. */
  follow(result: Promise<Enriched | undefined>): this {
    this.result = result;
    const settle = () => {
      this.#settled = true;
      this.#notify();
    };
    result.then(settle, settle);
    return this;
  }

  /** Bytes of lines not yet taken. */
  get bytes(): number {
    return this.#bytes;
  }

  get settled(): boolean {
    return this.#settled;
  }

  add(line: Uint8Array): void {
    this.#lines.push(line);
    this.#bytes += line.length;
    this.#notify();
  }

  /** The lines so far, as one buffer; they are no longer kept. */
  take(): Uint8Array {
    const out = join(this.#lines);
    this.#lines = [];
    this.#bytes = 0;
    return out;
  }

  /** Resolves when a line is added or the enrichment ends. */
  changed(): Promise<void> {
    return new Promise((resolve) => (this.#wake = resolve));
  }

  #notify(): void {
    this.#wake?.();
    this.#wake = undefined;
  }
}

/**
 * Lists pages one after the other, as fast as the API answers, and enriches each as soon as it is
 * listed, while the writer takes them in order. So the list call for page n+1 is already on the wire
 * while page n is written and checkpointed, and details of several pages overlap. How far it reads
 * ahead is bounded by a budget in bytes, not by a number of pages: a page of a wide organization holds
 * a hundred times more than one of a narrow organization. Each event is encoded as soon as it is
 * complete. A failure is delivered in order: the pages before it are still written.
 */
export async function* pagePipeline(options: PipelineOptions): AsyncGenerator<ReadyPage> {
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const budget = new Budget(options.budgetBytes ?? DEFAULT_BUDGET_BYTES);
  const partBytes = Math.max(1, Math.floor(budget.limit / 4));
  const queue: PageWork[] = [];
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const wait = () => new Promise<void>((resolve) => (wake = resolve));
  const push = (work: PageWork) => {
    queue.push(work);
    notify();
  };

  const list = (token: string | undefined) => {
    const listing = options.source.listPage(options.request, token, signal);
    listing.catch(() => {}); // awaited below; avoids an unhandled rejection while it waits
    return listing;
  };
  /** Enriches a listed page on a later turn of the event loop, once the next list call is on the wire. */
  const enrich = async (work: PageWork, page: Page, handle: PageHandle, enriched: Enriched) => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      const records = options.source.enrich(options.request, page.events, signal, handle);
      // Records that are there at once (events only) are encoded in one go, as before; records
      // handed over one by one are encoded one by one, so that none waits for the rest of its page.
      if (Array.isArray(records)) {
        const lines = options.encode(records);
        work.add(lines);
        budget.encoded(work.n, lines.length, records.length);
        return { ...enriched, count: records.length, reached: lastUpdated(records.at(-1)) };
      }
      let count = 0;
      let last: EventRecord | undefined;
      for await (const record of records) {
        const line = options.encode([record]);
        work.add(line);
        budget.encoded(work.n, line.length);
        count += 1;
        last = record;
      }
      return { ...enriched, count, reached: lastUpdated(last) };
    } finally {
      handle.close(); // the listed events and whatever the source still counted
    }
  };
  const produce = async () => {
    const seen = new Set<string>();
    let empty = 0;
    let token = options.firstToken;
    let handle = budget.page(0);
    await handle.admit(0, signal);
    let listing = list(token);
    for (let n = 0; ; n++) {
      const page = await listing;
      const receivedAt = options.clock();
      handle.answered(jsonBytes(page.events));
      const next = page.nextToken || undefined;
      if (next !== undefined && (next === token || seen.has(next))) {
        throw new Error(
          `The API returned the same pagination token twice (after ${n + 1} pages); stopping rather than looping.`,
        );
      }
      empty = page.events.length === 0 && next !== undefined ? empty + 1 : 0;
      if (empty > options.maxEmptyPages) {
        throw new Error(
          `The API returned ${empty} empty pages in a row, each with a new token; stopping rather than looping.`,
        );
      }
      const work = new PageWork(n);
      push(
        work.follow(
          enrich(work, page, handle, { count: 0, nextToken: next, receivedAt, reached: undefined }),
        ),
      );
      if (next === undefined) return push(new PageWork(n + 1).follow(Promise.resolve(undefined)));
      remember(seen, next);
      // The token chain is the critical path: the next list call goes out as soon as the budget has
      // room, before this page's enrichment starts (a later turn of the event loop).
      handle = budget.page(n + 1);
      await handle.admit(0, signal);
      listing = list(next);
      token = next;
    }
  };
  const producer = produce().catch((error: unknown) => push(new PageWork(-1).follow(Promise.reject(error))));

  try {
    for (;;) {
      options.signal.throwIfAborted();
      while (queue.length === 0) await wait();
      const work = queue.shift() as PageWork;
      await writeAhead(work);
      const page = await work.result;
      if (page === undefined) return;
      budget.handed(work.n);
      const encoded = work.take();
      yield {
        encoded,
        count: page.count,
        nextToken: page.nextToken,
        receivedAt: page.receivedAt,
        reached: page.reached,
      };
      budget.written(work.n);
    }
  } finally {
    stop.abort();
    notify();
    await producer;
  }

  /** While the page is enriched, appends its lines whenever they outgrow a part. */
  async function writeAhead(work: PageWork): Promise<void> {
    if (options.write === undefined) return;
    while (!work.settled) {
      if (work.bytes < partBytes) {
        await work.changed();
        continue;
      }
      const part = work.take();
      await options.write(part);
      budget.wrote(work.n, part.length);
    }
  }
}

/** Lines as one buffer; a single line is not copied. */
function join(lines: readonly Uint8Array[]): Uint8Array {
  if (lines.length === 1) return lines[0] as Uint8Array;
  let size = 0;
  for (const line of lines) size += line.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const line of lines) {
    out.set(line, at);
    at += line.length;
  }
  return out;
}
