import type { Cursor } from "../paging.ts";
import type { TokenCodec, TokenScope } from "../tokens.ts";
import type { SimState } from "../types.ts";

export type { SimState };

export type Json = Record<string, unknown>;

/** Everything one call needs. */
export interface OperationContext {
  input: Json;
  state: SimState;
  tokens: TokenCodec;
  /** What this request's tokens are bound to. */
  tokenScope: TokenScope;
}

/** AWS documents no default page size for Health; the simulator uses 10 when maxResults is absent. */
export const DEFAULT_PAGE_SIZE = 10;

export function openCursor(ctx: OperationContext, nextToken: string | undefined): Cursor | undefined {
  return nextToken === undefined ? undefined : ctx.tokens.open(nextToken, ctx.tokenScope);
}

/** Adds `nextToken` to an answer when more results remain. */
export function withNextToken(ctx: OperationContext, out: Json, next: Cursor | undefined): Json {
  if (next !== undefined) out.nextToken = ctx.tokens.issue(ctx.tokenScope, next);
  return out;
}
