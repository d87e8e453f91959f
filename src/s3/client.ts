import { S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { INPUT } from "../config/names.ts";
import type { S3Location } from "../config/s3-location.ts";
import { errorMessage, SetupError, sentence, UsageError } from "../errors.ts";

/**
 * The S3 client of an archive: the SDK's own credential chain (the credentials AWS Health uses,
 * `aws-actions/configure-aws-credentials` in a workflow), the region of AWS_REGION (a bucket elsewhere
 * is followed through S3's redirect), and AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for an S3-compatible
 * server, addressed by path (`host/bucket/key`), which such servers expect.
 */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const custom = Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
  return new S3Client({
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
    followRegionRedirects: true,
    forcePathStyle: custom,
    maxAttempts: 5,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000, throwOnRequestTimeout: true },
  });
}

/** What a request was for, for the message: the IAM action it needs and the object. */
export interface S3Call {
  readonly action: "s3:ListBucket" | "s3:GetObject" | "s3:PutObject";
  readonly location: S3Location;
  /** The object's key; none for a listing. */
  readonly key?: string;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null | undefined)?.$metadata?.httpStatusCode;
}

/** The object (or bucket) a call names, as `s3://bucket/key`. */
export function urlOf(call: S3Call): string {
  return `s3://${call.location.bucket}${call.key === undefined ? "" : `/${call.key}`}`;
}

/** A write lost a race: S3 answered 412 (the condition did not hold) or 409 (a concurrent write). */
export function lostRace(error: unknown): boolean {
  const name = (error as { name?: string } | null | undefined)?.name ?? "";
  return name === "PreconditionFailed" || name === "ConditionalRequestConflict" || statusOf(error) === 412;
}

/** No such object (GetObject, HeadObject; PutObject with If-Match). */
export function isNoSuchKey(error: unknown): boolean {
  const name = (error as { name?: string } | null | undefined)?.name ?? "";
  return name === "NoSuchKey" || name === "NotFound" || (name !== "NoSuchBucket" && statusOf(error) === 404);
}

/**
 * What S3 answered, as a fact with a class (see src/errors.ts): a missing bucket is the input's (exit 2);
 * a denied action, KMS included, is setup (exit 4) and names what to grant on which resource; anything
 * else is transient (the SDK retried 5xx and resets already).
 */
export function explainS3Error(error: unknown, call: S3Call): unknown {
  const name = (error as { name?: string } | null | undefined)?.name ?? "";
  if (name === "AbortError") return error;
  const message = sentence(errorMessage(error));
  const { bucket } = call.location;
  if (name === "NoSuchBucket") {
    return new UsageError(
      `Invalid ${INPUT.archive}: the bucket ${bucket} does not exist (${call.action} answered NoSuchBucket). Allowed: an existing bucket the credentials can write; create it first.`,
      { cause: error },
    );
  }
  if (name === "CredentialsProviderError") {
    return new SetupError(
      `No AWS credentials for the S3 archive ${call.location.url} (${message}) Set them as for AWS Health (aws-actions/configure-aws-credentials in a workflow).`,
      { cause: error },
    );
  }
  const status = statusOf(error);
  if (status === 403 || name === "AccessDenied" || name === "InvalidAccessKeyId") {
    const kms = /\bkms:[A-Za-z]+/.exec(message)?.[0];
    const resource = call.key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${call.key}`;
    const what = kms
      ? `${kms} on the bucket's KMS key (the bucket encrypts with SSE-KMS)`
      : `${call.action} on ${resource}`;
    return new SetupError(
      `${call.action} ${urlOf(call)} was denied: ${name || `HTTP ${status}`}: ${message} Grant the credentials ${what}; docs/s3.md lists the policy.`,
      { cause: error },
    );
  }
  const code = String((error as { code?: unknown } | null | undefined)?.code ?? "");
  if (code === "ENOTFOUND" || code === "ECONNREFUSED") {
    return new SetupError(
      `${call.action} ${urlOf(call)}: cannot reach S3 (${code}). Check AWS_REGION and AWS_ENDPOINT_URL_S3.`,
      { cause: error },
    );
  }
  const http = status === undefined ? "" : ` (HTTP ${status})`;
  const detail = error instanceof S3ServiceException || name ? `${name}${http}: ` : "";
  return new Error(`${call.action} ${urlOf(call)} failed after every retry: ${detail}${message}`, {
    cause: error,
  });
}
