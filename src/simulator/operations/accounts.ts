import { parseAffectedAccountsInput } from "../inputs.ts";
import { pageSorted } from "../paging.ts";
import { DEFAULT_PAGE_SIZE, type Json, type OperationContext, openCursor, withNextToken } from "./context.ts";

/**
 * DescribeAffectedAccountsForOrganization: the affected accounts in ascending order. As AWS documents,
 * a public event has none and an unknown ARN answers eventScopeCode NONE.
 */
export function describeAffectedAccounts(ctx: OperationContext): Json {
  const req = parseAffectedAccountsInput(ctx.input);
  const cursor = openCursor(ctx, req.nextToken);
  const event = ctx.state.byArn.get(req.eventArn);
  if (event === undefined) return { affectedAccounts: [], eventScopeCode: "NONE" };
  if (event.eventScopeCode === "PUBLIC") return { affectedAccounts: [], eventScopeCode: "PUBLIC" };
  const page = pageSorted(
    event.accounts,
    (a) => ({ t: 0, k: a }),
    cursor,
    req.maxResults ?? DEFAULT_PAGE_SIZE,
  );
  return withNextToken(
    ctx,
    { affectedAccounts: page.items, eventScopeCode: event.eventScopeCode },
    page.next,
  );
}
