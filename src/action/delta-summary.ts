import * as core from "@actions/core";
import type { BackfillResult } from "../engine/backfill.ts";
import type { RunRecord } from "../engine/record.ts";
import type { Window } from "../engine/window.ts";
import { describeBasis, mergedText, number, recordedText, tallyText } from "../format.ts";
import type { MergeResult } from "../local/archive.ts";
import { type Tally, tallyOutput } from "../local/tally.ts";
import { cell } from "./summary.ts";

/** The job summary's part about what this run backed up: the window, the events by kind, the archive. */

export interface DeltaSummary {
  readonly window: Window;
  readonly now: number;
  readonly tally: Tally;
  readonly merged?: { readonly result: MergeResult; readonly archive: string };
  /** Where the record went, worded for the summary (the cache key, the S3 object). */
  readonly recorded?: { readonly record: RunRecord; readonly where: string };
  /** What an S3 archive's commit stored besides the archive. */
  readonly stored?: string;
}

/** Categories down, statuses across, totals at the end of each row. */
function categoryTable(t: Tally): string[] {
  const statuses = t.byStatus.map(([name]) => name);
  const header = `| category | ${statuses.join(" | ")} | total |`;
  const rule = `|---|${statuses.map(() => "---:|").join("")}---:|`;
  const rows = t.byCategory.map((c) => {
    const counts = statuses.map((s) => number.format(c.byStatus.find(([name]) => name === s)?.[1] ?? 0));
    return `| ${cell(c.name)} | ${counts.join(" | ")} | ${number.format(c.count)} |`;
  });
  return [header, rule, ...rows];
}

export function deltaSummary(d: DeltaSummary): string {
  const lines = ["", "", "#### What this run backed up", "", describeBasis(d.window, d.now), ""];
  if (d.tally.events === 0) {
    lines.push("No event was updated within the window.");
  } else {
    lines.push(
      `${number.format(d.tally.events)} events, by category and status:`,
      "",
      ...categoryTable(d.tally),
    );
    const services = d.tally.topServices.map(([s, n]) => `${cell(s)} ${number.format(n)}`).join(" · ");
    lines.push("", `**Services with the most events:** ${services}`);
  }
  if (d.stored) lines.push("", d.stored);
  if (d.merged) lines.push("", mergedText(d.merged.result, `\`${d.merged.archive}\``));
  if (d.recorded) lines.push("", recordedText(d.recorded.record, d.recorded.where, "`since: last-run`"));
  return lines.join("\n");
}

/**
 * After a complete backfill: logs what the output holds and what the merge did, and returns the
 * summary's part about it.
 */
export async function reportDelta(
  result: BackfillResult,
  o: {
    readonly output: string;
    readonly merged: { readonly result: MergeResult; readonly archive: string } | undefined;
    /** Where the record went, worded for the summary; see DeltaSummary. */
    readonly recordWhere: string;
    readonly stored?: string | undefined;
  },
): Promise<string> {
  const tally = await tallyOutput(o.output);
  core.info(tallyText(tally));
  if (o.stored) core.info(o.stored);
  if (o.merged) core.info(mergedText(o.merged.result, o.merged.archive));
  return deltaSummary({
    window: result.window,
    now: Date.now(),
    tally,
    ...(o.merged && { merged: o.merged }),
    ...(o.stored && { stored: o.stored }),
    ...(result.recorded && { recorded: { record: result.recorded, where: o.recordWhere } }),
  });
}
