import { InvalidTokenError } from "../engine/source.ts";
import { errorMessage } from "../errors.ts";

/** The AWS errors a user must act on, each with what to do. Other errors pass through unchanged. */
export function explainAwsError(error: unknown, operation: string): unknown {
  const name = (error as { name?: string } | undefined)?.name ?? "";
  const message = errorMessage(error);
  switch (name) {
    case "InvalidPaginationToken":
      return new InvalidTokenError(`${operation}: InvalidPaginationToken: ${message}.`);
    case "SubscriptionRequiredException":
      return new Error(
        `${operation}: SubscriptionRequiredException: the AWS Health API needs a Business, Enterprise On-Ramp or Enterprise Support plan on this account.`,
      );
    case "AccessDeniedException":
    case "UnrecognizedClientException":
    case "InvalidSignatureException":
      return new Error(
        `${operation}: ${name}: ${message}. The credentials need health:Describe* permissions; organization scope also needs the management or a delegated administrator account.`,
      );
    case "CredentialsProviderError":
      return new Error(
        `No AWS credentials found (${message}). Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use aws-actions/configure-aws-credentials in a workflow; --simulate runs without AWS.`,
      );
    default:
      if (/ENOTFOUND|EAI_AGAIN/.test(`${(error as { code?: string }).code ?? ""} ${message}`)) {
        return new Error(
          `${operation}: cannot reach the AWS Health endpoint (${message}). Check the region and network.`,
        );
      }
      return error;
  }
}
