import type { BackfillResult } from "../engine/backfill.ts";

/** The job summary, as Markdown. */
const number = new Intl.NumberFormat("en-US");

function table(rows: [string, string][]): string {
  return ["| | |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, "\\|")} |`)].join("\n");
}

export interface SummaryContext {
  readonly source: string;
  readonly output: string;
  readonly restoredKey: string | undefined;
  readonly uploads: number;
  readonly lastKey: string | undefined;
}

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
      ["Time", `${(r.elapsedMs / 1000).toFixed(1)} s in this attempt`],
      ["Backfill started", r.resumed ? `${r.resumed.startedAt} (first attempt)` : "this attempt"],
      ["Source", c.source],
      ["Output", `\`${c.output}\``],
      ["Window (lastUpdatedTime)", describeWindow(r)],
      ["Cache uploads", `${c.uploads}${c.lastKey ? ` (last: \`${c.lastKey}\`)` : ""}`],
    ]),
  ].join("\n");
}

function describeWindow(r: BackfillResult): string {
  const f = r.request.filter as {
    lastUpdatedTime?: { from?: string; to?: string };
    lastUpdatedTimes?: { from?: string; to?: string }[];
  };
  const range = f.lastUpdatedTime ?? f.lastUpdatedTimes?.[0] ?? {};
  return `${range.from ?? "(all kept)"} to ${range.to ?? "now"}`;
}

export function failureSummary(
  message: string,
  whatToDo: string,
  c: Pick<SummaryContext, "lastKey" | "uploads">,
): string {
  return [
    "### ❌ AWS Health backfill stopped",
    "",
    message,
    "",
    `**What to do:** ${whatToDo}`,
    "",
    c.lastKey
      ? `Progress saved in the Actions cache as \`${c.lastKey}\` (${c.uploads} uploads this attempt).`
      : "",
  ].join("\n");
}
