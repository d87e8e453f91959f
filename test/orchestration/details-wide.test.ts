import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Budget } from "../../src/engine/budget.ts";
import type { ResolvedRequest } from "../../src/engine/request.ts";
import { createPacedClient } from "../../src/health/client.ts";
import { HealthSource } from "../../src/health/source.ts";
import { NdjsonFileSink } from "../../src/local/output.ts";
import { type Simulator, startSimulator } from "../../src/simulator/server.ts";
import { expectedRecord } from "../support/expected.ts";

// One page of a wide organization: 400 accounts, events that reach up to all of them, up to 12
// entities per (event, account), so an entities call of ten accounts sometimes needs a second page.
let sim: Simulator;
let source: HealthSource;
const stop = new AbortController();
const sink = new NdjsonFileSink("unused.ndjson");

beforeAll(async () => {
  sim = await startSimulator({
    events: 30,
    seed: 21,
    accounts: 400,
    accountsPerEvent: 400,
    entitiesPerAccount: 12,
  });
  const client = createPacedClient({
    region: "us-east-1",
    endpoint: sim.url,
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
    signal: stop.signal,
  });
  source = new HealthSource(async () => ({ client, endpoint: sim.url }));
});
afterAll(async () => {
  stop.abort();
  await sim.close();
});

const REQUEST: ResolvedRequest = {
  scope: "organization",
  region: "us-east-1",
  filter: {},
  pageSize: 30,
  details: "entities",
};

/** Enriches the page the way the pipeline does (as the page the writer waits for), within `limit` bytes. */
async function enrich(limit: number) {
  const page = await source.listPage(REQUEST, undefined, stop.signal);
  const budget = new Budget(limit);
  const lines: string[] = [];
  for await (const record of source.enrich(REQUEST, page.events, stop.signal, budget.page(0))) {
    const line = sink.encode([record]);
    lines.push(new TextDecoder().decode(line));
    budget.encoded(0, line.length);
    budget.wrote(0, line.length); // as if written at once: what is left is what the source holds
  }
  return { lines, peak: budget.peak, held: budget.held };
}

describe("details of a page of wide events", () => {
  it("are exact, and fetched within the byte budget, about one event at a time", async () => {
    const small = await enrich(64 * 1024);
    expect(small.lines).toHaveLength(30);
    for (const [i, line] of small.lines.entries()) {
      const record = JSON.parse(line) as { entities: { entityArn: string }[] };
      record.entities.sort((a, b) => (a.entityArn < b.entityArn ? -1 : a.entityArn > b.entityArn ? 1 : 0));
      expect(record).toEqual(expectedRecord(sim.dataset[i] as (typeof sim.dataset)[number]));
    }
    expect(
      small.lines.some(
        (l) => (JSON.parse(l) as { affectedAccounts: string[] }).affectedAccounts.length === 400,
      ),
    ).toBe(true);

    // Without a limit the whole page is fetched at once. Within one, what is held at a time (requests
    // in flight, answers not yet handed over) is about the event the output waits for, which goes at
    // once whatever the budget, and no more.
    const unlimited = await enrich(1 << 30);
    expect(unlimited.lines).toEqual(small.lines);
    const widest = Math.max(...small.lines.map((l) => l.length));
    expect(small.peak).toBeLessThan(unlimited.peak / 3);
    expect(small.peak).toBeLessThan(64 * 1024 + 3 * widest);
    // Everything fetched is given back once its event is handed over.
    expect(small.held).toBe(0);
    expect(unlimited.held).toBe(0);
  });
});
