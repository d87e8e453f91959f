import {
  type BackfillResult,
  describeDuration,
  type Progress,
  type Reporter,
  type ResumeInfo,
} from "../engine/backfill.ts";
import { percent } from "../engine/coverage.ts";
import { describeBasis, isWarning, type RunRecord, type Window } from "../engine/record.ts";
import type { MergeResult } from "../sinks/archive.ts";
import { describeTally, type Tally } from "../sinks/tally.ts";

const number = new Intl.NumberFormat("en-US");

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function ago(iso: string, now: number): string {
  return `${describeDuration(Math.max(0, now - Date.parse(iso)))} ago`;
}

export function rate(p: Progress): string {
  return p.elapsedMs > 0 ? `${number.format(Math.round((p.newEvents * 1000) / p.elapsedMs))} events/s` : "";
}

/** "~12 s left", "~3 min left", "~1.5 h left": an estimate, said as one. */
export function timeLeft(ms: number): string {
  if (ms < 90_000) return `~${Math.max(1, Math.round(ms / 1000))} s left`;
  if (ms < 5_400_000) return `~${Math.round(ms / 60_000)} min left`;
  return `~${(ms / 3_600_000).toFixed(1)} h left`;
}

/** "42% of the window, ~3 s left", or nothing before the first event. */
export function coverageText(p: Progress): string {
  const c = p.coverage;
  if (c === undefined) return "";
  return `${percent(c.covered)} of the window${c.leftMs === undefined ? "" : `, ${timeLeft(c.leftMs)}`}`;
}

/** "Stopped at 63% of the window (events back to ...)" for an attempt that did not complete. */
export function stoppedText(p: Progress | undefined): string | undefined {
  const c = p?.coverage;
  if (c === undefined || c.covered >= 1) return undefined;
  return `Stopped at ${percent(c.covered)} of the window (events written back to lastUpdatedTime ${c.reached}).`;
}

export function mergedText(m: MergeResult, archive: string): string {
  return (
    `Merged into ${archive}: ${number.format(m.added)} new and ${number.format(m.updated)} updated events; ` +
    `it holds ${number.format(m.events)} events, newest lastUpdatedTime first.`
  );
}

export function recordedText(r: RunRecord, location: string): string {
  return `Recorded as the last complete run (until ${r.until}) in ${location}: the next --since last-run continues from there.`;
}

export function resumeLine(r: ResumeInfo, now: number): string {
  return (
    `Resuming from page ${r.page}: ${number.format(r.events)} events already written, ` +
    `token received at ${r.tokenReceivedAt} (${ago(r.tokenReceivedAt, now)}); checkpoint ${r.location}`
  );
}

/** Progress on stderr: one live line on a terminal, a line per page otherwise. */
export class CliReporter implements Reporter {
  readonly #write: (text: string) => void;
  readonly #live: boolean;
  readonly #clock: () => number;
  #dirty = false;
  /** The last page's progress, for "stopped at 63% of the window". */
  last: Progress | undefined;

  constructor(write: (text: string) => void, live: boolean, clock: () => number) {
    this.#write = write;
    this.#live = live;
    this.#clock = clock;
  }

  line(text: string): void {
    if (this.#dirty) this.#write("\r\x1b[K");
    this.#dirty = false;
    this.#write(`${text}\n`);
  }

  resumed(info: ResumeInfo): void {
    this.line(`↻ ${resumeLine(info, this.#clock())}`);
  }

  restarted(location: string): void {
    this.line(`Discarded the checkpoint ${location} (restart); starting from the first page.`);
  }

  window(w: Window): void {
    this.line(`${isWarning(w) ? "⚠ " : ""}${describeBasis(w, this.#clock())}`);
  }

  page(p: Progress): void {
    this.last = p;
    const covered = coverageText(p);
    const text = `${number.format(p.events)} events · ${p.pages} pages · ${rate(p)} · ${seconds(p.elapsedMs)}${covered ? ` · ${covered}` : ""}`;
    if (this.#live) {
      this.#write(`\r\x1b[K  ${text}`);
      this.#dirty = true;
    } else {
      this.#write(`page ${p.pages}: ${text}\n`);
    }
  }

  done(r: BackfillResult, output: string): void {
    const resumed = r.resumed
      ? ` (${number.format(r.newEvents)} in this run, resumed from page ${r.resumed.page})`
      : "";
    this.line(
      `✓ Complete: ${number.format(r.events)} events in ${r.pages} pages${resumed}, ${seconds(r.elapsedMs)}. ` +
        `Output: ${output}. Checkpoint removed.`,
    );
  }

  /** What the output holds, by category and status, and the top services. */
  delta(t: Tally): void {
    this.line(`  Events by category (status): ${describeTally(t)}.`);
  }

  stopped(): void {
    const text = stoppedText(this.last);
    if (text) this.line(text);
  }
}
