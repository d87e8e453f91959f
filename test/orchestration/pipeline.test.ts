import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { URGENT_REQUESTS } from "../../src/engine/budget.ts";
import { pagePipeline, type ReadyPage } from "../../src/engine/pipeline.ts";
import type { ResolvedRequest } from "../../src/engine/request.ts";
import type { EventRecord, EventSource, Page, PageBudget } from "../../src/engine/source.ts";

const REQUEST: ResolvedRequest = {
  scope: "organization",
  region: "us-east-1",
  filter: {},
  pageSize: 10,
  details: "description",
};

/**
 * Pages of `perPage` events whose records are about `bytes` long. Enriching an event is one request
 * that waits for room in the budget; every request of a page is started at once, the way the details
 * of a page are, so the budget alone decides what goes ahead. `log` tells what happened in what order.
 */
class SizedSource implements EventSource {
  listed = 0;
  readonly log: string[] = [];

  readonly pages: number;
  readonly perPage: number;
  readonly bytes: number;

  constructor(pages: number, perPage: number, bytes: number) {
    this.pages = pages;
    this.perPage = perPage;
    this.bytes = bytes;
  }

  async preflight(): Promise<void> {}

  async listPage(_request: ResolvedRequest, token: string | undefined): Promise<Page> {
    const page = token === undefined ? 0 : Number(token);
    this.listed += 1;
    this.log.push(`list ${page}`);
    await sleep(1);
    const events = Array.from({ length: this.perPage }, (_, i) => ({ arn: `arn:${page}:${i}`, page, i }));
    return { events, nextToken: page + 1 < this.pages ? String(page + 1) : undefined };
  }

  async *enrich(
    _request: ResolvedRequest,
    events: readonly object[],
    signal: AbortSignal,
    budget: PageBudget,
  ): AsyncGenerator<EventRecord> {
    const listed = events as { arn: string; page: number; i: number }[];
    const answers = listed.map(async (e) => {
      await budget.admit(e.i, signal);
      this.log.push(`fetch ${e.page}.${e.i}`);
      await sleep(1);
      budget.answered(this.bytes);
      return { arn: e.arn, payload: "x".repeat(this.bytes) };
    });
    for (const answer of answers) answer.catch(() => {});
    for (const [i, answer] of answers.entries()) {
      const record = await answer;
      this.log.push(`hand ${listed[i]?.page}.${i}`);
      yield record;
      budget.drop(this.bytes);
    }
  }
}

const encode = (records: EventRecord[]) =>
  new TextEncoder().encode(records.map((r) => `${JSON.stringify(r)}\n`).join(""));

function pipeline(source: EventSource, budgetBytes: number, write?: (part: Uint8Array) => Promise<unknown>) {
  return pagePipeline({
    source,
    encode,
    ...(write ? { write } : {}),
    request: REQUEST,
    firstToken: undefined,
    budgetBytes,
    clock: Date.now,
    signal: new AbortController().signal,
    maxEmptyPages: 10,
  });
}

async function drain(pages: AsyncGenerator<ReadyPage>): Promise<ReadyPage[]> {
  const out: ReadyPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("the page pipeline's byte budget", () => {
  it("reads ahead no further than the budget while the writer is busy", { timeout: 10_000 }, async () => {
    // A page's lines take about 10 x 1,000 bytes; the writer holds on to the first page.
    const ahead = async (budget: number) => {
      const source = new SizedSource(40, 10, 1000);
      const pages = pipeline(source, budget);
      await pages.next();
      await sleep(150);
      const listed = source.listed;
      await pages.return(undefined);
      return listed;
    };
    // The page being written and the next one, the page the writer waits for, and nothing else.
    expect(await ahead(1)).toBe(2);
    const some = await ahead(60_000);
    expect(some).toBeGreaterThan(2);
    expect(some).toBeLessThanOrEqual(2 + 6);
    expect(await ahead(100_000_000)).toBe(40);
  });

  it("lets a page far larger than the budget through, one event at a time", { timeout: 10_000 }, async () => {
    const source = new SizedSource(3, 10, 50_000);
    const pages = await drain(pipeline(source, 1));
    expect(pages.map((p) => p.count)).toEqual([10, 10, 10]);
    const records = pages.flatMap((p) => text(p.encoded).trim().split("\n"));
    expect(records.map((l) => (JSON.parse(l) as { arn: string }).arn)).toEqual(
      [0, 1, 2].flatMap((p) => Array.from({ length: 10 }, (_, i) => `arn:${p}:${i}`)),
    );
    // Each event's request waits until the event before it is handed over.
    const page0 = source.log.filter((l) => / 0\./.test(l));
    expect(page0).toEqual(Array.from({ length: 10 }, (_, i) => [`fetch 0.${i}`, `hand 0.${i}`]).flat());
  });

  it("bounds the requests in flight for an event however many it needs", { timeout: 10_000 }, async () => {
    // One event that needs 1,000 requests, all started at once, with no room in the budget.
    let inFlight = 0;
    let most = 0;
    const source: EventSource = {
      preflight: async () => {},
      listPage: async () => ({ events: [{ arn: "arn:wide" }] }),
      async *enrich(_request, events, signal, budget) {
        const requests = Array.from({ length: 1000 }, async () => {
          await budget.admit(0, signal);
          most = Math.max(most, ++inFlight);
          await sleep(1);
          inFlight -= 1;
          budget.answered(100);
        });
        await Promise.all(requests);
        budget.drop(100 * 1000);
        yield events[0] as EventRecord;
      },
    };
    const pages = await drain(pipeline(source, 1));
    expect(pages.map((p) => p.count)).toEqual([1]);
    expect(most).toBe(URGENT_REQUESTS);
  });

  it("with room in the budget, fetches a page's events at once", async () => {
    const source = new SizedSource(1, 10, 100);
    await drain(pipeline(source, 100_000_000));
    const fetches = source.log.filter((l) => l.startsWith("fetch"));
    expect(source.log.slice(1, 11)).toEqual(fetches);
  });

  it("appends the beginning of a page that outgrows a quarter of the budget before the page is complete", async () => {
    const source = new SizedSource(2, 20, 5000);
    const written: string[] = [];
    let parts = 0;
    const counts: number[] = [];
    const pages = pipeline(source, 40_000, async (part) => {
      parts += 1;
      written.push(text(part));
    });
    for await (const page of pages) {
      written.push(text(page.encoded));
      counts.push(page.count);
    }
    expect(parts).toBeGreaterThan(2);
    // Parts and pages, in the order they were written, are every line once, in order; each page still
    // counts all of its events.
    const arns = written
      .join("")
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { arn: string }).arn);
    expect(arns).toEqual([0, 1].flatMap((p) => Array.from({ length: 20 }, (_, i) => `arn:${p}:${i}`)));
    expect(counts).toEqual([20, 20]);
  });

  it("hands a narrow page over whole", async () => {
    const source = new SizedSource(3, 10, 100);
    let parts = 0;
    const pages = await drain(
      pipeline(source, 4 * 1024 * 1024, async () => {
        parts += 1;
      }),
    );
    expect(parts).toBe(0);
    expect(pages.map((p) => p.count)).toEqual([10, 10, 10]);
  });
});
