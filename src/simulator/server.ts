import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Churn, type SimVersion } from "./churn.ts";
import { defaultAnchor, generateDataset, generateNewerEvents, type Shape } from "./dataset.ts";
import { clearStats, createStats, RateLimiter, serve } from "./handler.ts";
import { CALLER_ACCOUNT_ID } from "./organization.ts";
import { TokenCodec } from "./tokens.ts";
import type { SimEvent, SimState, SimulatorFaults, SimulatorStats } from "./types.ts";

export type { SimulatorFaults, SimulatorStats };

export interface SimulatorOptions extends Partial<SimulatorFaults> {
  /** Default 1000. */
  events?: number;
  /** Default 1. */
  seed?: number;
  /** Accounts in the organization, default 25. */
  accounts?: number;
  /** A wide organization: account-specific events affect 1 to this many accounts (see DatasetOptions). */
  accountsPerEvent?: number;
  /** A wide organization: 0 to this many entities per (event, account) (see DatasetOptions). */
  entitiesPerAccount?: number;
  /** Epoch ms, default defaultAnchor(now()). */
  anchor?: number;
  /** Clock for token age and for events that appear and change over time, default Date.now. */
  now?: () => number;
  /** New events per minute of the clock, from the start on (fractions allowed); default 0. */
  insertsPerMinute?: number;
  /** Updates of existing events per minute of the clock (a new lastUpdatedTime, maybe a new status); default 0. */
  updatesPerMinute?: number;
  /** Default 24 h. */
  tokenTtlMs?: number;
  /**
   * The AWS account the caller's credentials belong to, as STS GetCallerIdentity answers: default the
   * organization's management account (CALLER_ACCOUNT_ID). Two simulators with two accounts stand
   * for two AWS accounts a backup runs against.
   */
  account?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

/** The values a numeric option may take. */
export interface OptionRange {
  readonly min: number;
  readonly max: number;
  /** Whole numbers only. */
  readonly whole: boolean;
}

/**
 * What each numeric option may be, said once: startSimulator checks its options against it, and the
 * command line reads its flags by it.
 */
export const OPTION_RANGES = {
  port: { min: 0, max: 65_535, whole: true },
  events: { min: 0, max: 10_000_000, whole: true },
  seed: { min: -(2 ** 31), max: 2 ** 32 - 1, whole: true },
  accounts: { min: 1, max: 100_000, whole: true },
  accountsPerEvent: { min: 1, max: 100_000, whole: true },
  entitiesPerAccount: { min: 0, max: 1000, whole: true },
  /** The range of a Date. */
  anchor: { min: -8.64e15, max: 8.64e15, whole: false },
  latencyMs: { min: 0, max: 60_000, whole: false },
  rateLimit: { min: 0, max: 1_000_000, whole: false },
  burst: { min: 0, max: 1_000_000, whole: true },
  errorRate: { min: 0, max: 1, whole: false },
  dropRate: { min: 0, max: 1, whole: false },
  insertsPerMinute: { min: 0, max: 100_000, whole: false },
  passiveLagMs: { min: 0, max: 86_400_000, whole: false },
  updatesPerMinute: { min: 0, max: 100_000, whole: false },
} as const satisfies Partial<Record<keyof SimulatorOptions, OptionRange>>;

export const ORGANIZATIONAL_VIEWS = [
  "ENABLED",
  "DISABLED",
  "PENDING",
] as const satisfies readonly SimulatorFaults["organizationalView"][];

/** An option's range in words, for the messages of startSimulator and of the command line. */
export function rangeInWords(range: OptionRange): string {
  return `${range.whole ? "a whole number" : "a number"} from ${range.min} to ${range.max}`;
}

export function inRange(n: number, range: OptionRange): boolean {
  return (range.whole ? Number.isInteger(n) : Number.isFinite(n)) && n >= range.min && n <= range.max;
}

/** Throws a RangeError naming the first option outside its range. */
function checkOptions(o: SimulatorOptions): void {
  if (o.account !== undefined && !/^\d{12}$/.test(o.account))
    throw new RangeError(`account must be 12 digits, got ${o.account}`);
  for (const [key, range] of Object.entries(OPTION_RANGES)) {
    const value = o[key as keyof typeof OPTION_RANGES];
    if (value !== undefined && !inRange(value, range))
      throw new RangeError(`${key} must be ${rangeInWords(range)}, got ${value}`);
  }
  if (o.activeRegion !== undefined && !["us-east-1", "us-east-2"].includes(o.activeRegion))
    throw new RangeError(`activeRegion must be us-east-1 or us-east-2, got ${o.activeRegion}`);
  const view = o.organizationalView;
  if (view !== undefined && !ORGANIZATIONAL_VIEWS.includes(view))
    throw new RangeError(`organizationalView must be ENABLED, DISABLED or PENDING, got ${view}`);
}

export interface Simulator {
  url: string;
  /** Newest lastUpdatedTime first; the live array the server answers from. */
  dataset: SimEvent[];
  stats: SimulatorStats;
  /** Mutable: changes apply to the next request. */
  faults: SimulatorFaults;
  /** New events, newer than all existing, inserted at the newest end. */
  addEvents(n: number): SimEvent[];
  /**
   * With inserts or updates per minute: every version served so far (the starting dataset, then each
   * change in time order) and when a newer one replaced it. Undefined without them.
   */
  readonly history: readonly SimVersion[] | undefined;
  /** Applies the inserts and updates due by the clock's now (each request does this too). */
  advance(): void;
  resetStats(): void;
  close(): Promise<void>;
}

const DAY = 86_400_000;

/** Starts an AWS Health simulator (AWS JSON 1.1 over node:http) on a free port of 127.0.0.1. */
export async function startSimulator(o: SimulatorOptions = {}): Promise<Simulator> {
  checkOptions(o);
  const now = o.now ?? Date.now;
  const shape: Shape = {
    seed: o.seed ?? 1,
    accounts: o.accounts ?? 25,
    accountsPerEvent: o.accountsPerEvent,
    entitiesPerAccount: o.entitiesPerAccount,
  };
  const dataset = generateDataset({
    ...shape,
    events: o.events ?? 1000,
    anchor: o.anchor ?? defaultAnchor(now()),
  });
  const state: SimState = { dataset, byArn: new Map(dataset.map((e) => [e.arn, e])), faults: faultsFrom(o) };
  const stats = createStats();
  const closing = new AbortController();
  const tokens = new TokenCodec(shape.seed, o.tokenTtlMs ?? DAY, now);
  const account = o.account ?? CALLER_ACCOUNT_ID;
  const env = { state, stats, tokens, limiter: new RateLimiter(), closing: closing.signal, now, account };
  let nextIndex = dataset.length;
  const churn = startChurn(o, state, shape, now(), () => nextIndex++);
  const server = createServer((req, res) => {
    churn?.advance(now());
    void serve(req, res, env);
  });
  const sockets = trackSockets(server);
  const host = o.host ?? "127.0.0.1";
  const port = await listen(server, o.port ?? 0, host);
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    dataset,
    stats,
    faults: state.faults,
    addEvents(n) {
      const newest = dataset[0]?.lastUpdatedTime.getTime() ?? now();
      const fresh = generateNewerEvents(shape, nextIndex, newest, n);
      nextIndex += n;
      prepend(dataset, fresh);
      for (const e of fresh) state.byArn.set(e.arn, e);
      return fresh;
    },
    history: churn?.history,
    advance: () => churn?.advance(now()),
    resetStats: () => clearStats(stats),
    close: () => closeServer(server, sockets, closing),
  };
}

function startChurn(
  o: SimulatorOptions,
  state: SimState,
  shape: Shape,
  start: number,
  nextIndex: () => number,
): Churn | undefined {
  const insertsPerMinute = o.insertsPerMinute ?? 0;
  const updatesPerMinute = o.updatesPerMinute ?? 0;
  if (insertsPerMinute === 0 && updatesPerMinute === 0) return undefined;
  return new Churn({ ...shape, insertsPerMinute, updatesPerMinute, start }, state, nextIndex);
}

function faultsFrom(o: SimulatorOptions): SimulatorFaults {
  return {
    latencyMs: o.latencyMs ?? 0,
    rateLimit: o.rateLimit ?? 0,
    burst: o.burst ?? 0,
    errorRate: o.errorRate ?? 0,
    dropRate: o.dropRate ?? 0,
    organizationalView: o.organizationalView ?? "ENABLED",
    subscription: o.subscription ?? true,
    accessDenied: o.accessDenied ?? false,
    activeRegion: o.activeRegion ?? "us-east-1",
    passiveLagMs: o.passiveLagMs ?? 0,
  };
}

/** Inserts items at the front without spreading huge arrays into one call. */
function prepend<T>(target: T[], items: readonly T[]): void {
  const CHUNK = 10_000;
  for (let end = items.length; end > 0; end -= CHUNK)
    target.unshift(...items.slice(Math.max(0, end - CHUNK), end));
}

function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  return sockets;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops listening and destroys open keep-alive sockets, so nothing keeps the process alive. */
function closeServer(server: Server, sockets: Set<Socket>, closing: AbortController): Promise<void> {
  closing.abort();
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
    server.closeAllConnections?.();
  });
}
