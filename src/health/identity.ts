import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { errorMessage, SetupError, sentence } from "../errors.ts";
import { type AwsClock, CLOCK_STEP, clockMiddleware } from "./clock.ts";
import { explainAwsError } from "./errors.ts";

const NETWORK = new Set(["ENOTFOUND", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT"]);

export interface IdentityOptions {
  readonly region: string;
  /** A custom endpoint (the simulator); otherwise the SDK's own, AWS_ENDPOINT_URL_STS included. */
  readonly endpoint?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  readonly clock: AwsClock;
  readonly signal: AbortSignal;
}

/**
 * The AWS account the credentials belong to (STS GetCallerIdentity, which needs no IAM permission and
 * cannot be denied). A scheduled backup is kept per account: two accounts backed up with the same
 * flags must never share the record of their last complete run. The answer's `Date` also tells `clock`
 * AWS's time before the window is pinned.
 */
export async function callerAccount(options: IdentityOptions): Promise<string> {
  const client = new STSClient({
    region: options.region,
    maxAttempts: 5,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 12_000, throwOnRequestTimeout: true },
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });
  client.middlewareStack.add(clockMiddleware(options.clock), CLOCK_STEP);
  try {
    const out = await client.send(new GetCallerIdentityCommand({}), { abortSignal: options.signal });
    if (!out.Account) throw new Error("the answer names no account");
    return out.Account;
  } catch (error) {
    throw explainIdentityError(error, options.endpoint);
  } finally {
    client.destroy();
  }
}

function explainIdentityError(error: unknown, endpoint: string | undefined): unknown {
  const operation = "sts:GetCallerIdentity";
  const where = endpoint ?? "the STS endpoint of the region";
  const name = (error as { name?: string } | null | undefined)?.name ?? "";
  const code = String((error as { code?: unknown } | null | undefined)?.code ?? "");
  if (name === "CredentialsProviderError" || NETWORK.has(code) || name === "TimeoutError") {
    return explainAwsError(error, operation, where);
  }
  if (name === "AbortError") return error;
  return new SetupError(
    `${operation} at ${where}: ${name ? `${name}: ` : ""}${sentence(errorMessage(error))} ` +
      "since: last-run keeps the record of the last complete run per AWS account, so it asks STS which account the credentials belong to (no IAM permission needed); check the credentials and AWS_ENDPOINT_URL_STS.",
    { cause: error },
  );
}
