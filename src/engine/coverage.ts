import { AWS_RETENTION_MS } from "./window.ts";

/** How far back through its window a backfill has come, and how long the rest may take. */
export interface Coverage {
  /** Share of the window covered, 0-1. */
  readonly covered: number;
  /** The lastUpdatedTime of the last event written (ISO 8601). */
  readonly reached: string;
  /** Estimated time left, from this attempt's pace through the window; absent until there is a pace. */
  readonly leftMs?: number;
}

/**
 * Events come newest lastUpdatedTime first, so the last event written tells how much of the window
 * [from, to] lies behind: (to - reached) / (to - from). A window without `from` reaches back as far as
 * AWS keeps events. The pace is measured from where this attempt started: the start of the window for
 * a new backfill, the first page written for a resumed one (its checkpoint does not say how far it got).
 */
export class CoverageMeter {
  readonly #from: number;
  readonly #to: number;
  #base: { readonly at: number; readonly covered: number } | undefined;

  constructor(window: { readonly from?: string; readonly to: string }, startedAt: number, resumed: boolean) {
    this.#to = Date.parse(window.to);
    this.#from = window.from === undefined ? this.#to - AWS_RETENTION_MS : Date.parse(window.from);
    this.#base = resumed ? undefined : { at: startedAt, covered: 0 };
  }

  /** Coverage after a page whose last event was updated at `reached` (epoch ms), written at `now`. */
  page(reached: number, now: number): Coverage {
    const span = this.#to - this.#from;
    const covered = span > 0 ? Math.min(1, Math.max(0, (this.#to - reached) / span)) : 1;
    const reachedIso = new Date(reached).toISOString();
    const base = this.#base;
    if (base === undefined) {
      this.#base = { at: now, covered };
      return { covered, reached: reachedIso };
    }
    const pace = (covered - base.covered) / (now - base.at);
    if (!(pace > 0) || !Number.isFinite(pace)) return { covered, reached: reachedIso };
    return { covered, reached: reachedIso, leftMs: Math.round((1 - covered) / pace) };
  }
}
