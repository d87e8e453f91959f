import { InvalidTokenError } from "../engine/source.ts";
import { EndpointUnreachableError, errorMessage, SetupError, sentence, UsageError } from "../errors.ts";
import { ENDPOINT_SETTINGS } from "./endpoint.ts";

/** Codes by class: the API refused the request as invalid, or someone must grant or enable something. */
const INVALID = new Set([
  "ValidationException",
  "UnsupportedLocale",
  "SerializationException",
  "InvalidParameterValueException",
  "InvalidParameterException",
]);
const ACCESS = new Set([
  "AccessDeniedException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "InvalidClientTokenId",
  "MissingAuthenticationTokenException",
  "SignatureDoesNotMatch",
  "OptInRequired",
]);
const EXPIRED = new Set(["ExpiredTokenException", "ExpiredToken", "RequestExpired"]);

function codeOf(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null | undefined;
  return String(e?.code ?? e?.cause?.code ?? "");
}

/**
 * Turns what the SDK threw into a fact with a class (see src/errors.ts): the front door words the
 * remedy. `endpoint` names where the request went, for the network failures.
 */
export function explainAwsError(error: unknown, operation: string, endpoint: string): unknown {
  const name = (error as { name?: string } | null | undefined)?.name ?? "";
  const message = errorMessage(error);
  const code = codeOf(error);
  const fact = `${operation}: ${name}: ${sentence(message)}`;
  if (name === "InvalidPaginationToken") return new InvalidTokenError(fact, { cause: error });
  if (name === "SubscriptionRequiredException") {
    return new SetupError(
      `${operation}: SubscriptionRequiredException: the AWS Health API needs a Business, Enterprise On-Ramp or Enterprise Support plan on this account.`,
      { cause: error },
    );
  }
  if (ACCESS.has(name)) {
    return new SetupError(
      `${fact} The credentials need the health:Describe* permissions; organization scope also needs the management or a delegated administrator account.`,
      { cause: error },
    );
  }
  if (name === "CredentialsProviderError") {
    return new SetupError(
      `No AWS credentials found (${sentence(message)}) Set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use aws-actions/configure-aws-credentials in a workflow; simulate runs without AWS.`,
      { cause: error },
    );
  }
  if (INVALID.has(name)) {
    return new UsageError(`${fact} The API refused the request as invalid: check the filter and locale.`, {
      cause: error,
    });
  }
  if (EXPIRED.has(name)) return new Error(`${fact} The AWS credentials expired.`, { cause: error });
  if (code === "ENOTFOUND") {
    return new SetupError(
      `${operation}: cannot resolve the host of ${endpoint} (ENOTFOUND). Check the region and ${ENDPOINT_SETTINGS}.`,
      { cause: error },
    );
  }
  if (code === "ECONNREFUSED") {
    return new EndpointUnreachableError(`${operation}: ${endpoint} refused the connection (ECONNREFUSED).`, {
      cause: error,
    });
  }
  if (name === "TimeoutError" || code === "ETIMEDOUT") {
    return new Error(
      `${operation}: no answer from ${endpoint} in time, after every retry (${name || code}).`,
      {
        cause: error,
      },
    );
  }
  return serverFault(error, operation, endpoint) ?? error;
}

/** A 5xx past every retry, as a fact that names the operation and where it went (transient). */
function serverFault(error: unknown, operation: string, endpoint: string): Error | undefined {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null | undefined;
  const status = e?.$metadata?.httpStatusCode;
  if (status === undefined || status < 500) return undefined;
  const name = e?.name ? ` (${e.name})` : "";
  return new Error(
    `${operation}: ${endpoint} answered HTTP ${status}${name} after every retry: ${sentence(errorMessage(error))}`,
    { cause: error },
  );
}
