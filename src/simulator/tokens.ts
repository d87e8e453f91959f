import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Cursor } from "./paging.ts";
import { isRecord, ServiceError } from "./protocol.ts";

/** What a token is bound to: the exact request (minus nextToken) and the region that issued it. */
export interface TokenScope {
  requestHash: string;
  region: string;
}

interface Payload {
  v: 1;
  h: string;
  r: string;
  /** Issue time, epoch ms (injected clock). */
  i: number;
  c: [number, string];
}

/**
 * Stateless pagination tokens: `base64url(payload).base64url(hmac)`, signed with a key derived from
 * the dataset seed, so two simulators with the same seed accept each other's tokens. The payload holds
 * a keyset cursor, the request hash, the region and the issue time.
 */
export class TokenCodec {
  readonly #key: Buffer;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(seed: number, ttlMs: number, now: () => number) {
    this.#key = createHash("sha256").update(`aws-health-simulator/token-key/${seed}`).digest();
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  issue(scope: TokenScope, cursor: Cursor): string {
    const payload: Payload = {
      v: 1,
      h: scope.requestHash,
      r: scope.region,
      i: this.#now(),
      c: [cursor.t, cursor.k],
    };
    const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
    return `${body}.${this.#sign(body).toString("base64url")}`;
  }

  /** The cursor inside a token, after checking signature, request, region and age. */
  open(token: string, scope: TokenScope): Cursor {
    const payload = this.#verified(token);
    if (payload.r !== scope.region) {
      invalid(
        `The pagination token was issued by the ${payload.r} endpoint, not ${scope.region}. Start over without a token.`,
      );
    }
    if (payload.h !== scope.requestHash) {
      invalid(
        "The pagination token belongs to a different request. Keep all other arguments unchanged when you pass nextToken.",
      );
    }
    if (this.#now() - payload.i > this.#ttlMs) invalid("The pagination token has expired.");
    return { t: payload.c[0], k: payload.c[1] };
  }

  #sign(body: string): Buffer {
    return createHmac("sha256", this.#key).update(body).digest().subarray(0, 16);
  }

  #verified(token: string): Payload {
    const [body, signature, extra] = token.split(".");
    if (body === undefined || signature === undefined || extra !== undefined)
      invalid("The pagination token is not valid.");
    const expected = this.#sign(body);
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      invalid("The pagination token is not valid.");
    const payload: unknown = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    if (!isPayload(payload)) invalid("The pagination token is not valid.");
    return payload;
  }
}

function isPayload(p: unknown): p is Payload {
  return (
    isRecord(p) &&
    p.v === 1 &&
    typeof p.h === "string" &&
    typeof p.r === "string" &&
    typeof p.i === "number" &&
    Array.isArray(p.c) &&
    typeof p.c[0] === "number" &&
    typeof p.c[1] === "string"
  );
}

function invalid(message: string): never {
  throw new ServiceError("InvalidPaginationToken", message);
}

/** A hash of the request as sent, minus nextToken; key order does not matter, list order does. */
export function requestHash(operation: string, input: Record<string, unknown>): string {
  const { nextToken: _ignored, ...rest } = input;
  return createHash("sha256")
    .update(`${operation}\n${canonicalJson(rest)}`)
    .digest("base64url")
    .slice(0, 22);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
