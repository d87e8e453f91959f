import type { ResolvedRequest } from "./request.ts";

/** One output line: the event's fields (arn first), timestamps as ISO strings, details nested. */
export interface EventRecord {
  readonly arn: string;
  readonly [field: string]: unknown;
}

/**
 * A record member whose items are already JSON: pieces of JSON array text (`[...]`) whose elements, in
 * order, are the member's items. A source hands over a long list this way so that what it fetched
 * waits as compact bytes outside the heap instead of as objects; the sink splices the pieces into the
 * line as they are. Serialized any other way (`JSON.stringify`), it is the array of its items.
 */
export class JsonItems {
  readonly pieces: readonly Uint8Array[];

  constructor(pieces: readonly Uint8Array[]) {
    this.pieces = pieces;
  }

  toJSON(): unknown[] {
    const decoder = new TextDecoder();
    return this.pieces.flatMap((piece) => JSON.parse(decoder.decode(piece)) as unknown[]);
  }
}

export interface Page {
  /** The events as the API returned them; `enrich` turns them into records, off the critical path. */
  readonly events: readonly object[];
  readonly nextToken?: string | undefined;
}

/**
 * The pipeline's byte budget as the enrichment of one page sees it. A request counts a fixed amount
 * while in flight; then what is kept of its answer counts until dropped. The source waits for room
 * before each request, so a page of wide events is fetched in bounded batches.
 */
export interface PageBudget {
  /**
   * Waits until a request for the page's event `index` (0-based) may go out, and counts it in flight:
   * at once for the event the writer waits for (up to a bound on its requests in flight), otherwise
   * when the budget has room. Requests that serve several events give the first.
   */
  admit(index: number, signal: AbortSignal): Promise<void>;
  /** Counts a request in flight without waiting: for one that admitted work depends on. */
  admitNow(): void;
  /** A request counted in flight answered (or failed); what is kept of its answer takes `bytes`. */
  answered(bytes: number): void;
  /** Bytes of answers no longer kept (handed over as records, or dropped). */
  drop(bytes: number): void;
}

/** Where events come from. The engine knows AWS Health's shape, not the SDK. */
export interface EventSource {
  /** Checks access before the first page (organizational view, support plan, permissions). */
  preflight(request: ResolvedRequest, signal: AbortSignal): Promise<void>;
  listPage(request: ResolvedRequest, token: string | undefined, signal: AbortSignal): Promise<Page>;
  /**
   * Adds the details the request asks for: one record per event, in the same order, each handed over
   * as soon as it is complete, so that the engine encodes it and the source can drop what it fetched
   * for it. Fetches wait for room in `budget`.
   */
  enrich(
    request: ResolvedRequest,
    events: readonly object[],
    signal: AbortSignal,
    budget: PageBudget,
  ): Iterable<EventRecord> | AsyncIterable<EventRecord>;
}

/** The API said the token is not valid for this request (expired, other request, other region). */
export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
}
