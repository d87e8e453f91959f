import { compareEvents, generateEventAt, type Shape } from "./dataset.ts";
import { lowerBound } from "./paging.ts";
import { mixSeed, mulberry32 } from "./prng.ts";
import type { SimEvent, SimState } from "./types.ts";

/**
 * Events that appear and change over time, as AWS publishes them: new events, and updates that give
 * an existing event a new lastUpdatedTime (and sometimes a new status), which moves it to the front of
 * the list. Deterministic: what happened by time T depends only on the seed, the start, the rates and
 * T, never on when or how often the simulator was asked. Time is the simulator's clock (`now`), so a
 * test that controls the clock controls the history. New events have the dataset's shape (`Shape`).
 */
export interface ChurnOptions extends Shape {
  /** New events per minute of the clock; fractions spread them (0.5: one every two minutes). */
  readonly insertsPerMinute: number;
  /** Updates of existing events per minute of the clock. */
  readonly updatesPerMinute: number;
  /** Epoch ms the history starts at (the simulator's start). */
  readonly start: number;
}

/** One version of an event as the simulator served it, and until when. */
export interface SimVersion {
  readonly event: SimEvent;
  /** The clock time a newer version replaced it; absent while it is current. */
  supersededAt?: number;
}

interface Action {
  readonly at: number;
  readonly kind: "insert" | "update";
  /** Random draws fixed when the minute is planned, so the outcome depends on the history only. */
  readonly draws: readonly [number, number, number];
}

const MINUTE = 60_000;
/** Updates mostly touch recent events (an issue gets several updates while it is open). */
const RECENT = 200;
const RECENT_SHARE = 0.7;

export class Churn {
  /** Every version served: the starting dataset, then each insert and update in time order. */
  readonly history: SimVersion[];
  readonly #o: ChurnOptions;
  readonly #state: SimState;
  readonly #current = new Map<string, SimVersion>();
  readonly #nextIndex: () => number;
  #minute = 0;
  #pending: Action[] = [];

  constructor(o: ChurnOptions, state: SimState, nextIndex: () => number) {
    this.#o = o;
    this.#state = state;
    this.#nextIndex = nextIndex;
    this.history = state.dataset.map((event) => ({ event }));
    for (const version of this.history) this.#current.set(version.event.arn, version);
  }

  /** Applies everything that happened up to `now` (epoch ms), in time order. */
  advance(now: number): void {
    for (;;) {
      while (this.#pending.length === 0 && this.#o.start + this.#minute * MINUTE < now) this.#plan();
      const next = this.#pending[0];
      if (next === undefined || next.at > now) return;
      this.#pending.shift();
      if (next.kind === "insert") this.#insert(next);
      else this.#update(next);
    }
  }

  /** The actions of the next minute: how many follows from the rates, when and what from its own seed. */
  #plan(): void {
    const k = this.#minute++;
    const count = (rate: number) => Math.floor((k + 1) * rate) - Math.floor(k * rate);
    const rng = mulberry32(mixSeed(this.#o.seed, k, 0xc4a2));
    const actions: Action[] = [];
    const add = (kind: Action["kind"], n: number) => {
      for (let i = 0; i < n; i++) {
        const at = this.#o.start + k * MINUTE + 1 + Math.floor(rng() * (MINUTE - 1));
        actions.push({ at, kind, draws: [rng(), rng(), rng()] });
      }
    };
    add("insert", count(this.#o.insertsPerMinute));
    add("update", count(this.#o.updatesPerMinute));
    this.#pending = actions.sort((a, b) => a.at - b.at);
  }

  #insert(action: Action): void {
    const event = generateEventAt(this.#o, this.#nextIndex(), action.at);
    this.#place(event);
  }

  #update(action: Action): void {
    const { dataset } = this.#state;
    if (dataset.length === 0) return;
    const [which, where, status] = action.draws;
    const pool = which < RECENT_SHARE ? Math.min(RECENT, dataset.length) : dataset.length;
    const old = dataset[Math.floor(where * pool)] as SimEvent;
    this.#remove(old);
    this.#place(nextVersion(old, action.at, status));
  }

  #place(event: SimEvent): void {
    const { dataset } = this.#state;
    dataset.splice(indexOf(dataset, event), 0, event);
    this.#state.byArn.set(event.arn, event);
    const before = this.#current.get(event.arn);
    if (before) before.supersededAt = event.lastUpdatedTime.getTime();
    const version: SimVersion = { event };
    this.history.push(version);
    this.#current.set(event.arn, version);
  }

  #remove(event: SimEvent): void {
    const { dataset } = this.#state;
    const i = indexOf(dataset, event);
    if (dataset[i] === event) dataset.splice(i, 1);
  }
}

/** The first index whose event does not come before `event` in the dataset order. */
function indexOf(dataset: readonly SimEvent[], event: SimEvent): number {
  return lowerBound(dataset.length, (i) => compareEvents(dataset[i] as SimEvent, event) >= 0);
}

/**
 * The event as updated at `at`: same ARN, new lastUpdatedTime; an open event may close and an upcoming
 * one may start. The copy keeps the derived description and entities (shared accessors), which follow
 * the new fields.
 */
function nextVersion(old: SimEvent, at: number, draw: number): SimEvent {
  const event = Object.defineProperties({}, Object.getOwnPropertyDescriptors(old)) as SimEvent;
  event.lastUpdatedTime = new Date(at);
  if (old.statusCode === "open" && draw < 0.5) {
    event.statusCode = "closed";
    event.endTime = new Date(at);
  } else if (old.statusCode === "upcoming" && draw < 0.5) {
    event.statusCode = "open";
    if (event.startTime.getTime() > at) event.startTime = new Date(at);
    delete event.endTime;
  }
  return event;
}

/** Versions visible at clock time `t`: each event's version that was current then. */
export function visibleAt(history: readonly SimVersion[], t: number): SimVersion[] {
  return history.filter(
    (v) => v.event.lastUpdatedTime.getTime() <= t && (v.supersededAt === undefined || v.supersededAt > t),
  );
}
