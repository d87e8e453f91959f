import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { visibleAt } from "../../src/simulator/churn.ts";
import { compareEvents } from "../../src/simulator/dataset.ts";
import type { Simulator } from "../../src/simulator/server.ts";

/**
 * What a scheduled backup should have written, from the simulator's history: the versions that were
 * current when a run listed (the simulator's clock stands still during a run) and whose lastUpdatedTime
 * falls in the run's window. Versions are compared as `arn@lastUpdatedTime`.
 */
export function versionOf(e: { arn: string; lastUpdatedTime: string | Date }): string {
  const t = typeof e.lastUpdatedTime === "string" ? e.lastUpdatedTime : e.lastUpdatedTime.toISOString();
  return `${e.arn}@${t}`;
}

/** The versions a run at simulator time `at` could see in [from, to], in the API's order. */
export function expectedDelta(sim: Simulator, at: number, from: string, to: string): string[] {
  const lo = Date.parse(from);
  const hi = Date.parse(to);
  return visibleAt(sim.history ?? [], at)
    .map((v) => v.event)
    .filter((e) => e.lastUpdatedTime.getTime() >= lo && e.lastUpdatedTime.getTime() <= hi)
    .sort(compareEvents)
    .map(versionOf);
}

/** The simulator's latest state of every event, as `arn@lastUpdatedTime:status`, in the archive's order. */
export function latestState(sim: Simulator): string[] {
  return sim.dataset.map((e) => `${versionOf(e)}:${e.statusCode}`);
}

export interface OutputLine {
  arn: string;
  lastUpdatedTime: string;
  statusCode: string;
  details?: unknown[];
}

export function readJsonLines(path: string): OutputLine[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as OutputLine);
}

export const stateOf = (lines: OutputLine[]) => lines.map((l) => `${versionOf(l)}:${l.statusCode}`);

export interface RecordFile {
  from?: string;
  until: string;
  completedAt: string;
  events: number;
  pages: number;
}

/** The last-run record the script keeps beside the output (one per query), if there is one. */
export function readRecord(dir: string): RecordFile | undefined {
  const name = readdirSync(dir).find((f) => /^health-backfill\.last-run\.[0-9a-f]{16}\.json$/.test(f));
  return name === undefined ? undefined : (JSON.parse(readFileSync(join(dir, name), "utf8")) as RecordFile);
}
