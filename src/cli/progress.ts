import {
  type BackfillResult,
  describeDuration,
  type Progress,
  type Reporter,
  type ResumeInfo,
} from "../engine/backfill.ts";

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

  page(p: Progress): void {
    const text = `${number.format(p.events)} events · ${p.pages} pages · ${rate(p)} · ${seconds(p.elapsedMs)}`;
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
}
