import { paginateDescribeEventsForOrganization } from "@aws-sdk/client-health";
import { afterEach, describe, expect, it } from "vitest";
import { visibleAt } from "../../src/simulator/churn.ts";
import { parseCli } from "../../src/simulator/cli.ts";
import { compareEvents, type SimEvent } from "../../src/simulator/dataset.ts";
import { type Simulator, type SimulatorOptions, startSimulator } from "../../src/simulator/server.ts";
import { ANCHOR, clientFor } from "./helpers.ts";

/** Events that appear and change over time, on a clock the test controls. */
const MINUTE = 60_000;
const START = ANCHOR + 9 * 3_600_000;
const sims: Simulator[] = [];
afterEach(async () => {
  for (const s of sims.splice(0)) await s.close();
});

async function simulator(clock: { now: number }, o: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator({
    events: 200,
    seed: 5,
    anchor: ANCHOR,
    now: () => clock.now,
    insertsPerMinute: 2,
    updatesPerMinute: 3,
    ...o,
  });
  sims.push(sim);
  return sim;
}

const snapshot = (sim: Simulator) =>
  sim.dataset.map((e) => `${e.arn}@${e.lastUpdatedTime.toISOString()}:${e.statusCode}`);

describe("inserts and updates per minute", () => {
  it("happen at the configured rates, keep the list in the API's order, and record every version", async () => {
    const clock = { now: START };
    const sim = await simulator(clock);
    clock.now = START + 60 * MINUTE;
    sim.advance();
    const history = sim.history ?? [];
    expect(history).toHaveLength(200 + 120 + 180);
    expect(sim.dataset).toHaveLength(200 + 120);
    const sorted = [...sim.dataset].sort(compareEvents);
    expect(sim.dataset.map((e) => e.arn)).toEqual(sorted.map((e) => e.arn));
    expect(new Set(sim.dataset.map((e) => e.arn)).size).toBe(sim.dataset.length);
    const changed = history.slice(200);
    for (const v of changed) {
      const t = v.event.lastUpdatedTime.getTime();
      expect(t).toBeGreaterThan(START);
      expect(t).toBeLessThanOrEqual(clock.now);
    }
    // Each event's current version is the newest in the history, and the only one not superseded.
    const current = visibleAt(history, clock.now);
    expect(current.map((v) => v.event).sort(compareEvents)).toEqual(sim.dataset);
    expect(history.filter((v) => v.supersededAt === undefined)).toHaveLength(sim.dataset.length);
    // Some updates closed open events or started upcoming ones.
    const statuses = new Set(changed.map((v) => v.event.statusCode));
    expect(statuses.size).toBeGreaterThan(1);
  });

  it("is deterministic: the history at a time does not depend on when the simulator was asked", async () => {
    const a = { now: START };
    const b = { now: START };
    const stepwise = await simulator(a);
    const jump = await simulator(b);
    for (let m = 1; m <= 90; m += 7) {
      a.now = START + m * MINUTE + 13_000;
      stepwise.advance();
    }
    a.now = b.now = START + 95 * MINUTE;
    stepwise.advance();
    jump.advance();
    expect(snapshot(stepwise)).toEqual(snapshot(jump));
    const versions = (sim: Simulator) =>
      (sim.history ?? []).map((v) => `${v.event.arn}@${v.event.lastUpdatedTime.getTime()}/${v.supersededAt}`);
    expect(versions(stepwise)).toEqual(versions(jump));
  });

  it("spreads fractional rates: 0.5 inserts a minute is 5 in 10 minutes", async () => {
    const clock = { now: START };
    const sim = await simulator(clock, { insertsPerMinute: 0.5, updatesPerMinute: 0 });
    clock.now = START + 10 * MINUTE;
    sim.advance();
    expect(sim.dataset).toHaveLength(205);
  });

  it("serves the changes through the wire protocol: a lastUpdatedTime window lists exactly the events changed in it", async () => {
    const clock = { now: START };
    const sim = await simulator(clock);
    clock.now = START + 30 * MINUTE;
    const client = clientFor(sim);
    try {
      const listed: string[] = [];
      const filter = { lastUpdatedTime: { from: new Date(START), to: new Date(clock.now) } };
      for await (const page of paginateDescribeEventsForOrganization(
        { client, pageSize: 25 },
        { filter, maxResults: 25 },
      )) {
        for (const e of page.events ?? []) listed.push(`${e.arn}@${e.lastUpdatedTime?.toISOString()}`);
      }
      const changed = (sim.dataset as SimEvent[]).filter((e) => e.lastUpdatedTime.getTime() > START);
      expect(listed).toEqual(changed.map((e) => `${e.arn}@${e.lastUpdatedTime.toISOString()}`));
      expect(listed.length).toBeGreaterThan(100);
    } finally {
      client.destroy();
    }
  });

  it("without rates nothing changes and no history is kept", async () => {
    const clock = { now: START };
    const sim = await simulator(clock, { insertsPerMinute: 0, updatesPerMinute: 0 });
    clock.now += 3_600_000;
    sim.advance();
    expect(sim.dataset).toHaveLength(200);
    expect(sim.history).toBeUndefined();
  });

  it("has flags for the standalone simulator", () => {
    expect(parseCli(["--inserts-per-minute", "0.5", "--updates-per-minute", "12"])).toEqual({
      insertsPerMinute: 0.5,
      updatesPerMinute: 12,
    });
    expect(() => parseCli(["--updates-per-minute=-1"])).toThrow(/--updates-per-minute must be a number/);
  });
});
