import type { ResolvedRequest } from "./request.ts";

/** One output line: the event's fields (arn first), timestamps as ISO strings, details nested. */
export interface EventRecord {
  readonly arn: string;
  readonly [field: string]: unknown;
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
