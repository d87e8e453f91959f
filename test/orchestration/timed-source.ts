import { createHash } from "node:crypto";
import type { ResolvedRequest } from "../../src/engine/request.ts";
import { type EventRecord, type EventSource, InvalidTokenError, type Page } from "../../src/engine/source.ts";

export interface TimedEvent {
  arn: string;
  lastUpdatedTime: string;
}

/**
 * An in-memory source that behaves as AWS Health does where continuing by time depends on it: events
 * newest lastUpdatedTime first, several sharing one instant; the lastUpdatedTime range of the request is
 * applied (inclusive); a token is valid only with the request that issued it; tokens can be refused.
 */
export class TimedSource implements EventSource {
  events: TimedEvent[];
  /** Refuses these tokens with InvalidPaginationToken. */
  readonly invalidTokens = new Set<string>();
  /** Throws on the list call with this number (1-based), as a crash would stop a run there. */
  failAt: number | undefined;
  calls = 0;
  readonly requests: ResolvedRequest[] = [];

  /** `sizes`: how many events share each instant, newest instant first, one second apart. */
  constructor(sizes: readonly number[], newest = Date.parse("2026-11-20T00:00:00Z")) {
    this.events = sizes.flatMap((size, i) =>
      Array.from({ length: size }, (_, j) => ({
        arn: `arn:aws:health:us-east-1::event/T${i}-${j}`,
        lastUpdatedTime: new Date(newest - i * 1000).toISOString(),
      })),
    );
  }

  async preflight(): Promise<void> {}

  async listPage(request: ResolvedRequest, token: string | undefined, signal: AbortSignal): Promise<Page> {
    signal.throwIfAborted();
    this.calls += 1;
    this.requests.push(request);
    if (this.calls === this.failAt) throw new Error(`stopped at list call ${this.calls}`);
    const range = request.filter.lastUpdatedTime ?? {};
    // A token belongs to the request and to the region that issued it.
    const scope = createHash("sha256")
      .update(JSON.stringify([range, request.region]))
      .digest("hex")
      .slice(0, 8);
    if (token !== undefined && (this.invalidTokens.has(token) || !token.startsWith(`${scope}:`)))
      throw new InvalidTokenError("InvalidPaginationToken: not valid for this request");
    const from = range.from === undefined ? -Infinity : Date.parse(range.from);
    const to = range.to === undefined ? Infinity : Date.parse(range.to);
    const inWindow = this.events.filter((e) => {
      const t = Date.parse(e.lastUpdatedTime);
      return t >= from && t <= to;
    });
    const offset = token === undefined ? 0 : Number(token.split(":")[1]);
    const end = offset + request.pageSize;
    return {
      // As the SDK hands them over: lastUpdatedTime a Date.
      events: inWindow
        .slice(offset, end)
        .map((e) => ({ ...e, lastUpdatedTime: new Date(e.lastUpdatedTime) })),
      // Every token is new (the call's number), as AWS's are: a refused one is never handed out again.
      nextToken: end < inWindow.length ? `${scope}:${end}:${this.calls}` : undefined,
    };
  }

  async *enrich(_request: ResolvedRequest, events: readonly object[]): AsyncGenerator<EventRecord> {
    for (const e of events as { arn: string; lastUpdatedTime: Date }[])
      yield { arn: e.arn, lastUpdatedTime: e.lastUpdatedTime.toISOString() };
  }
}
