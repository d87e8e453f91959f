import { affects } from "../dataset.ts";
import type { SimEvent } from "../types.ts";
import type { Json } from "./context.ts";

/**
 * Per-item failures of the details and entities operations. AWS documents no list of error names:
 * `InvalidAccountInputError` is the one the service model names (an account id missing for an
 * account-specific event); the simulator uses it for every account mismatch, with the messages the
 * model documents, and `UnknownEventArn` for an ARN it does not know.
 */
export function accountFilterFailure(
  event: SimEvent | undefined,
  eventArn: string,
  awsAccountId: string | undefined,
  requireAffected: boolean,
): Json | undefined {
  const item = (errorName: string, errorMessage: string): Json => ({
    ...(awsAccountId === undefined ? {} : { awsAccountId }),
    eventArn,
    errorName,
    errorMessage,
  });
  if (event === undefined)
    return item("UnknownEventArn", `We couldn't find an event with the ARN ${eventArn}.`);
  if (event.eventScopeCode === "ACCOUNT_SPECIFIC" && awsAccountId === undefined) {
    return item(
      "InvalidAccountInputError",
      "We couldn't find a public event that matches your request. To find an event that is account specific, you must enter an AWS account ID in the request.",
    );
  }
  const publicWithAccount = event.eventScopeCode === "PUBLIC" && awsAccountId !== undefined;
  const notAffected =
    event.eventScopeCode === "ACCOUNT_SPECIFIC" &&
    awsAccountId !== undefined &&
    !affects(event, awsAccountId);
  if (requireAffected && (publicWithAccount || notAffected)) {
    return item(
      "InvalidAccountInputError",
      "We couldn't find an account specific event for the specified AWS account. To find an event that is public, you must enter a null value for the AWS account ID in the request.",
    );
  }
  return undefined;
}
