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

/** Where events come from. The engine knows AWS Health's shape, not the SDK. */
export interface EventSource {
  /** Checks access before the first page (organizational view, support plan, permissions). */
  preflight(request: ResolvedRequest, signal: AbortSignal): Promise<void>;
  listPage(request: ResolvedRequest, token: string | undefined, signal: AbortSignal): Promise<Page>;
  /** Adds the details the request asks for; returns one record per event, in the same order. */
  enrich(request: ResolvedRequest, events: readonly object[], signal: AbortSignal): Promise<EventRecord[]>;
}

/** The API said the token is not valid for this request (expired, other request, other region). */
export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
}
