import type { BackfillResult } from "../engine/backfill.ts";
import { windowOf } from "../engine/request.ts";
import { number, seconds, size } from "../format.ts";
import type { Cleanup } from "./cache/cleanup.ts";
import type { UploadStats } from "./cache/store.ts";

/** Text in a Markdown table cell: a "|" would end the cell. */
export function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

function table(rows: [string, string][]): string {
  return ["| | |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`)].join("\n");
}

export interface SummaryContext {
  readonly source: string;
  readonly output: string;
  readonly restoredKey: string | undefined;
  /** Undefined when the cache service is not available. */
  readonly uploads: UploadStats | undefined;
  readonly cleanup?: Cleanup | undefined;
}

/** Count and bytes of what this attempt stored in the cache. */
export function describeUploads(s: UploadStats | undefined): string {
  if (!s) return "none: the Actions cache is not available";
  const failed = s.failed > 0 ? `; ${s.failed} not stored` : "";
  const last = s.lastKey ? ` (last: \`${s.lastKey}\`)` : "";
  return `${s.uploads} stored, ${size(s.archiveBytes)} sent, holding ${size(s.outputBytes)} of output${failed}${last}`;
}

export function describeCleanup(c: Cleanup | undefined): string {
  if (!c) return "none: the Actions cache is not available";
  if (c.kind === "deleted") return `${c.entries} deleted (${size(c.bytes)})`;
  if (c.kind === "not-permitted")
    return "kept until GitHub evicts them, 7 days after their last use (grant `actions: write` to delete them)";
  return `kept: deleting them failed after ${c.entries} (${c.detail})`;
}

/** The job summary of a complete backfill, as Markdown. */
export function successSummary(r: BackfillResult, c: SummaryContext): string {
  const resumed = r.resumed
    ? `yes, from page ${r.resumed.page} (${number.format(r.resumed.events)} events already written; cache entry \`${c.restoredKey ?? "local"}\`; token received ${r.resumed.tokenReceivedAt})`
    : "no, started from the first page";
  return [
    "### ✅ AWS Health backfill complete",
    "",
    table([
      ["Events written", `${number.format(r.events)} (${number.format(r.newEvents)} in this attempt)`],
      ["Pages", String(r.pages)],
      ["Resumed", resumed],
      ["Time", `${seconds(r.elapsedMs)} in this attempt`],
      ["Backfill started", r.resumed ? `${r.resumed.startedAt} (first attempt)` : "this attempt"],
      ["Source", c.source],
      ["Output", `\`${c.output}\``],
      ["Window (lastUpdatedTime)", describeWindow(r)],
      ["Cache uploads", describeUploads(c.uploads)],
      ["Cache entries", describeCleanup(c.cleanup)],
    ]),
  ].join("\n");
}

function describeWindow(r: BackfillResult): string {
  const range = windowOf(r.request);
  return `${range.from ?? "(all kept)"} to ${range.to ?? "now"}`;
}

export function failureSummary(message: string, whatToDo: string, uploads: UploadStats | undefined): string {
  return [
    "### ❌ AWS Health backfill stopped",
    "",
    message,
    "",
    `**What to do:** ${whatToDo}`,
    "",
    uploads?.lastKey ? `Cache uploads of this attempt: ${describeUploads(uploads)}.` : "",
  ].join("\n");
}
