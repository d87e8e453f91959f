import type { ResolvedRequest } from "../../src/engine/request.ts";
import { type EventRecord, type EventSource, InvalidTokenError, type Page } from "../../src/engine/source.ts";

/** An in-memory event source for orchestration tests: pages of `events`, tokens "t<offset>". */
export class MemorySource implements EventSource {
  readonly events: EventRecord[];
  calls = 0;
  preflights = 0;
  /** The request of every list call, as sent. */
  readonly requests: ResolvedRequest[] = [];
  /** Throws this error on the list call with this number (1-based). */
  failAt = new Map<number, Error>();
  invalidTokens = new Set<string>();
  repeatToken = false;
  emptyPages = 0;

  constructor(count: number) {
    this.events = Array.from({ length: count }, (_, i) => ({
      arn: `arn:aws:health:us-east-1::event/E${i}`,
      n: i,
    }));
  }

  async preflight(): Promise<void> {
    this.preflights += 1;
  }

  async listPage(request: ResolvedRequest, token: string | undefined, signal: AbortSignal): Promise<Page> {
    signal.throwIfAborted();
    this.calls += 1;
    this.requests.push(request);
    await new Promise((r) => setTimeout(r, 1));
    const failure = this.failAt.get(this.calls);
    if (failure) throw failure;
    if (token && this.invalidTokens.has(token))
      throw new InvalidTokenError("InvalidPaginationToken: expired");
    if (this.emptyPages > 0) return { events: [], nextToken: `empty${this.calls}` };
    if (this.repeatToken && token) return { events: [], nextToken: token };
    const offset = token ? Number(token.slice(1)) : 0;
    const end = offset + request.pageSize;
    return {
      events: this.events.slice(offset, end),
      nextToken: end < this.events.length ? `t${end}` : undefined,
    };
  }

  async *enrich(_request: ResolvedRequest, events: readonly object[]): AsyncGenerator<EventRecord> {
    for (const e of events as EventRecord[])
      yield { ...e, details: [{ latestDescription: `about ${e.arn}` }] };
  }
}
