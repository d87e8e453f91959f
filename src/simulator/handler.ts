/**
 * The request handler: one HTTP request in, one AWS JSON 1.1 answer out, with the rate limit per API
 * family and the counters of the simulator's stats.
 */

import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { findOperation, type Operation } from "./operations.ts";
import {
  errorBody,
  JSON_11,
  operationFromTarget,
  parseBody,
  regionFromAuthorization,
  ServiceError,
} from "./protocol.ts";
import { answerSts, isStsCall } from "./sts.ts";
import { requestHash, type TokenCodec } from "./tokens.ts";
import type { Family, SimState, SimulatorStats } from "./types.ts";

/** What the request handler shares with the simulator. */
export interface HandlerEnv {
  state: SimState;
  tokens: TokenCodec;
  stats: SimulatorStats;
  limiter: RateLimiter;
  /** Aborted by close(): pending latency timers stop waiting. */
  closing: AbortSignal;
  /** The simulator's clock: every answer's `Date` header tells it, as AWS's answers tell AWS's time. */
  now: () => number;
  /** The account whose credentials the caller holds, as STS GetCallerIdentity answers. */
  account: string;
}

interface Outcome {
  status: number;
  body: string;
  kind: "ok" | "throttled" | "error";
}

const MAX_BODY = 1 << 20;

/** One HTTP request: faults, then the AWS JSON 1.1 call, then the injected latency, then the answer. */
export async function serve(req: IncomingMessage, res: ServerResponse, env: HandlerEnv): Promise<void> {
  const started = performance.now();
  const { stats, state } = env;
  stats.requests++;
  const body = await readBody(req);
  if (body === undefined) return;
  if (req.method === "GET" && req.url === "/global-cname") {
    // What the CNAME of global.health.amazonaws.com would name: the active region's endpoint.
    res.writeHead(200, { "content-type": "text/plain", date: httpDate(env.now()) });
    return void res.end(`health.${state.faults.activeRegion}.amazonaws.com`);
  }
  if (isStsCall(req.headers["content-type"], body)) {
    const sts = answerSts(body, env.account);
    res.writeHead(sts.status, { "content-type": "text/xml", date: httpDate(env.now()) });
    return void res.end(sts.body);
  }
  const name = operationFromTarget(req.headers["x-amz-target"]?.toString());
  const op = name === undefined ? undefined : findOperation(name);
  if (op !== undefined && name !== undefined) bump(stats.byOperation, name);
  if (Math.random() < state.faults.dropRate) {
    stats.dropped++;
    req.socket.destroy();
    return;
  }
  const outcome = answer(req, body, name, op, env);
  if (state.faults.latencyMs > 0) {
    const waited = await sleep(state.faults.latencyMs, true, { signal: env.closing }).catch(() => false);
    if (!waited) return void req.socket.destroy();
  }
  const answered = performance.now();
  record(stats, name, op, outcome, answered - started);
  if (op !== undefined) widen(stats, op.family, started, answered);
  res.writeHead(outcome.status, {
    "content-type": JSON_11,
    date: httpDate(env.now()),
    "content-length": Buffer.byteLength(outcome.body),
    "x-amzn-requestid": randomUUID(),
  });
  res.end(outcome.body);
}

/** An HTTP date (RFC 7231: whole seconds, GMT), as AWS sends in `Date`. */
function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

function record(
  stats: SimulatorStats,
  name: string | undefined,
  op: Operation | undefined,
  o: Outcome,
  ms: number,
): void {
  if (o.kind === "throttled" && op !== undefined) {
    stats.throttled++;
    bump(stats.throttledByFamily, op.family);
  } else if (o.kind === "ok" && op !== undefined && name !== undefined) {
    bump(stats.succeededByFamily, op.family);
    bump(stats.serverTimeMsByOperation, name, ms);
  } else {
    stats.errors++;
  }
}

function answer(
  req: IncomingMessage,
  body: string,
  name: string | undefined,
  op: Operation | undefined,
  env: HandlerEnv,
): Outcome {
  try {
    const region = checkRequest(req);
    bump(env.stats.byRegion, region);
    if (op === undefined || name === undefined) {
      const target = req.headers["x-amz-target"]?.toString() ?? "(none)";
      throw new ServiceError("UnknownOperationException", `Unknown operation ${target}`);
    }
    const { faults } = env.state;
    if (!env.limiter.take(op.family, faults.rateLimit, faults.burst)) {
      return {
        status: 400,
        body: errorBody(new ServiceError("ThrottlingException", "Rate exceeded")),
        kind: "throttled",
      };
    }
    checkFaults(op, env.state);
    const input = parseBody(body);
    const tokenScope = { requestHash: requestHash(name, input), region };
    const result = op.handle({ input, state: env.state, tokens: env.tokens, tokenScope, now: env.now() });
    return { status: 200, body: JSON.stringify(result), kind: "ok" };
  } catch (e) {
    const error =
      e instanceof ServiceError
        ? e
        : new ServiceError("InternalFailure", `Simulator error: ${String(e)}`, 500);
    return { status: error.status, body: errorBody(error), kind: "error" };
  }
}

/** `POST /` with a SigV4 authorization header; returns the region of its credential scope. */
function checkRequest(req: IncomingMessage): string {
  if (req.method !== "POST" || (req.url ?? "/").split("?")[0] !== "/") {
    throw new ServiceError("UnknownOperationException", "AWS Health answers POST / only", 404);
  }
  const authorization = req.headers.authorization;
  if (authorization === undefined) {
    throw new ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token", 403);
  }
  const region = regionFromAuthorization(authorization);
  if (region === undefined) {
    throw new ServiceError(
      "IncompleteSignatureException",
      "The authorization header has no SigV4 credential scope",
      403,
    );
  }
  return region;
}

/**
 * Injected faults, in the order AWS would meet them. AWS documents no error for an organization call
 * without organizational view; the simulator answers AccessDeniedException naming the status.
 */
function checkFaults(op: Operation, state: SimState): void {
  const { faults } = state;
  if (Math.random() < faults.errorRate) {
    throw Math.random() < 0.5
      ? new ServiceError(
          "InternalFailure",
          "The request processing has failed because of an unknown error.",
          500,
        )
      : new ServiceError("ServiceUnavailable", "The service is unavailable. Please try again later.", 503);
  }
  if (faults.accessDenied) {
    throw new ServiceError(
      "AccessDeniedException",
      "User is not authorized to perform this action on AWS Health.",
    );
  }
  if (!faults.subscription) {
    throw new ServiceError(
      "SubscriptionRequiredException",
      "The AWS Health API requires a Business, Enterprise On-Ramp, or Enterprise Support plan.",
    );
  }
  if (op.organization && faults.organizationalView !== "ENABLED") {
    throw new ServiceError(
      "AccessDeniedException",
      `Organizational view is ${faults.organizationalView} for this organization. Enable it with EnableHealthServiceAccessForOrganization from the management account.`,
    );
  }
}

/** The whole body, or undefined when the client went away or sent too much. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > MAX_BODY) {
        req.socket.destroy();
        return undefined;
      }
      chunks.push(buf);
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks).toString("utf8");
}

interface Bucket {
  tokens: number;
  last: number;
}

/** Burst when none is set: a tenth of a second's worth of requests, at least one. */
function effectiveBurst(rate: number, burst: number): number {
  return burst > 0 ? burst : Math.max(1, Math.ceil(rate / 10));
}

/**
 * A token bucket per API family. Rate and burst are read on every call, so a running simulator's
 * limits can be changed. Uses a monotonic clock, not the injected token clock (tests freeze that one).
 */
export class RateLimiter {
  readonly #buckets = new Map<Family, Bucket>();
  readonly #clock: () => number;

  constructor(clock: () => number = () => performance.now()) {
    this.#clock = clock;
  }

  /** Takes one request's token; false when the family is over its rate (0 = unlimited). */
  take(family: Family, rate: number, burst: number): boolean {
    if (!(rate > 0)) return true;
    const capacity = effectiveBurst(rate, burst);
    const now = this.#clock();
    const bucket = this.#buckets.get(family) ?? { tokens: capacity, last: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.last) * rate) / 1000);
    bucket.last = now;
    this.#buckets.set(family, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/** Counters at zero, for a new simulator and for resetStats(). */
export function createStats(): SimulatorStats {
  return {
    requests: 0,
    byOperation: {},
    byRegion: {},
    throttled: 0,
    throttledByFamily: {},
    succeededByFamily: {},
    errors: 0,
    dropped: 0,
    serverTimeMsByOperation: {},
    windowByFamily: {},
  };
}

/** Zeroes the stats in place, so references held by tests stay live. */
export function clearStats(stats: SimulatorStats): void {
  Object.assign(stats, createStats());
}

function bump(record: Record<string, number>, key: string, by = 1): void {
  record[key] = (record[key] ?? 0) + by;
}

/** Widens a family's window to include a request that arrived at `start` and was answered at `end`. */
function widen(stats: SimulatorStats, family: string, start: number, end: number): void {
  const w = stats.windowByFamily[family];
  if (w === undefined) stats.windowByFamily[family] = { first: start, last: end };
  else {
    w.first = Math.min(w.first, start);
    w.last = Math.max(w.last, end);
  }
}
