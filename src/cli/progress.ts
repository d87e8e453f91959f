import type {
  BackfillResult,
  ContinueInfo,
  Progress,
  Reporter,
  ResumeInfo,
  SetAsideInfo,
} from "../engine/backfill.ts";
import { isWarning, type Window } from "../engine/window.ts";
import {
  completeText,
  continuedText,
  describeBasis,
  pageLine,
  progressText,
  restartText,
  resumeLine,
  setAsideText,
  stoppedText,
  tallyText,
} from "../format.ts";
import type { Tally } from "../local/tally.ts";

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
    this.line(restartText(location));
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
    if (this.#live) {
      this.#write(`\r\x1b[K  ${progressText(p)}`);
      this.#dirty = true;
    } else {
      this.#write(`${pageLine(p)}\n`);
    }
  }

  done(r: BackfillResult, output: string): void {
    this.line(`${completeText(r, output, true)}. Checkpoint removed.`);
  }

  /** What the output holds, by category and status, and the top services. */
  delta(t: Tally): void {
    this.line(`  ${tallyText(t)}`);
  }

  stopped(): void {
    const text = stoppedText(this.last);
    if (text) this.line(text);
  }
}
