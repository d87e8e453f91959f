import { CALLER_ACCOUNT_ID } from "../accounts.ts";
import { visibleToCaller } from "../filters.ts";
import { parseDetailsInput, parseOrgDetailsInput } from "../inputs.ts";
import { detailsJson } from "../wire.ts";
import type { Json, OperationContext } from "./context.ts";
import { accountFilterFailure } from "./failures.ts";

/** DescribeEventDetailsForOrganization: one result per filter, in request order. */
export function describeEventDetailsForOrganization(ctx: OperationContext): Json {
  const req = parseOrgDetailsInput(ctx.input);
  const successfulSet: Json[] = [];
  const failedSet: Json[] = [];
  for (const f of req.filters) {
    const event = ctx.state.byArn.get(f.eventArn);
    const failure = accountFilterFailure(event, f.eventArn, f.awsAccountId, true);
    if (failure !== undefined) failedSet.push(failure);
    else if (event !== undefined) successfulSet.push(detailsJson(event, f.awsAccountId, true));
  }
  return { successfulSet, failedSet };
}

/** DescribeEventDetails: the caller's view; events it cannot see are unknown to it. */
export function describeEventDetails(ctx: OperationContext): Json {
  const req = parseDetailsInput(ctx.input);
  const successfulSet: Json[] = [];
  const failedSet: Json[] = [];
  for (const arn of req.eventArns) {
    const event = ctx.state.byArn.get(arn);
    if (event === undefined || !visibleToCaller(event)) {
      failedSet.push({
        eventArn: arn,
        errorName: "UnknownEventArn",
        errorMessage: `We couldn't find an event with the ARN ${arn}.`,
      });
      continue;
    }
    const account = event.eventScopeCode === "PUBLIC" ? undefined : CALLER_ACCOUNT_ID;
    successfulSet.push(detailsJson(event, account, false));
  }
  return { successfulSet, failedSet };
}
