import { forEachLine } from "../util/lines.ts";

/** What a reader of a delta scans for first: how many events of which kind, and which services. */
export interface Tally {
  readonly events: number;
  /** Category, then status, then count; categories and statuses by count, descending. */
  readonly byCategory: readonly {
    readonly name: string;
    readonly count: number;
    readonly byStatus: Counts;
  }[];
  readonly byStatus: Counts;
  /** The services with the most events, most first. */
  readonly topServices: Counts;
}

export type Counts = readonly (readonly [name: string, count: number])[];

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function ranked(map: Map<string, number>, limit = Number.POSITIVE_INFINITY): Counts {
  return [...map.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit);
}

function field(doc: Record<string, unknown>, name: string): string {
  const value = doc[name];
  return typeof value === "string" && value !== "" ? value : "(none)";
}

/** Counts the events of a JSON Lines output by category, status and service, a line at a time. */
export async function tallyOutput(path: string, topServices = 5): Promise<Tally> {
  const categories = new Map<string, Map<string, number>>();
  const statuses = new Map<string, number>();
  const services = new Map<string, number>();
  let events = 0;
  await forEachLine(path, (line) => {
    if (line.text.trim() === "") return;
    const doc = JSON.parse(line.text) as Record<string, unknown>;
    events += 1;
    const category = field(doc, "eventTypeCategory");
    const status = field(doc, "statusCode");
    const byStatus = categories.get(category) ?? new Map<string, number>();
    categories.set(category, byStatus);
    bump(byStatus, status);
    bump(statuses, status);
    bump(services, field(doc, "service"));
  });
  const byCategory = [...categories.entries()]
    .map(([name, counts]) => ({
      name,
      count: [...counts.values()].reduce((a, b) => a + b, 0),
      byStatus: ranked(counts),
    }))
    .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
  return { events, byCategory, byStatus: ranked(statuses), topServices: ranked(services, topServices) };
}
