import type {
  BackfillResult,
  ContinueInfo,
  Progress,
  Reporter,
  ResumeInfo,
  SetAsideInfo,
} from "../engine/backfill.ts";
import { describeBasis, isWarning, type Window } from "../engine/record.ts";
import {
  continuedText,
  count,
  coverageText,
  number,
  rate,
  resumeLine,
  seconds,
  setAsideText,
  stoppedText,
} from "../format.ts";
import { describeTally, type Tally } from "../sinks/tally.ts";

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

  continued(info: ContinueInfo): void {
    this.line(`⚠ ${continuedText(info)}`);
  }

  setAside(info: SetAsideInfo): void {
    this.line(`⚠ ${setAsideText(info)}`);
  }

  window(w: Window): void {
    this.line(`${isWarning(w) ? "⚠ " : ""}${describeBasis(w, this.#clock())}`);
  }

  page(p: Progress): void {
    this.last = p;
    const covered = coverageText(p);
    const text = `${count(p.events, "event")} · ${count(p.pages, "page")} · ${rate(p)} · ${seconds(p.elapsedMs)}${covered ? ` · ${covered}` : ""}`;
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
      `✓ Complete: ${count(r.events, "event")} in ${count(r.pages, "page")}${resumed}, ${seconds(r.elapsedMs)}. ` +
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
