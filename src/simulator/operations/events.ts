import { compileFilter, type Scope } from "../filters.ts";
import { parseEventsInput } from "../inputs.ts";
import { pageEvents } from "../paging.ts";
import { eventJson, organizationEventJson } from "../wire.ts";
import { DEFAULT_PAGE_SIZE, type Json, type OperationContext, openCursor, withNextToken } from "./context.ts";

/** DescribeEventsForOrganization and DescribeEvents: one page of the filtered dataset. */
export function describeEvents(scope: Scope): (ctx: OperationContext) => Json {
  const encode = scope === "organization" ? organizationEventJson : eventJson;
  return (ctx) => {
    const req = parseEventsInput(ctx.input, scope);
    const cursor = openCursor(ctx, req.nextToken);
    const page = pageEvents(
      ctx.state.dataset,
      compileFilter(scope, req.filter),
      cursor,
      req.maxResults ?? DEFAULT_PAGE_SIZE,
    );
    return withNextToken(ctx, { events: page.items.map(encode) }, page.next);
  };
}
