import { shorten, UsageError } from "../errors.ts";
import { INPUT } from "./names.ts";

/**
 * `archive: s3://bucket/prefix`: where a backup keeps its archive, its dated deltas and the record of
 * its last complete run. The prefix is a folder: `s3://b/health/` and `s3://b/health` are one archive.
 */
export interface S3Location {
  readonly bucket: string;
  /** Without slashes at either end; empty for the bucket's root. */
  readonly prefix: string;
  /** `s3://bucket/prefix`, as messages and the backup's identity name it. */
  readonly url: string;
}

/** S3's rules for bucket names: 3 to 63 of a-z 0-9 . -, starting and ending with a letter or digit. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function parseS3Location(value: string): S3Location {
  const allowed =
    "Allowed: s3://bucket or s3://bucket/prefix (a bucket name of 3 to 63 characters a-z 0-9 . -); a local JSON Lines archive is merge-into.";
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(value.trim());
  if (!match) throw new UsageError(`Invalid ${INPUT.archive}: ${shorten(value)}. ${allowed}`);
  const bucket = match[1] ?? "";
  const prefix = (match[2] ?? "").replace(/^\/+|\/+$/g, "");
  if (!BUCKET.test(bucket) || bucket.includes("..")) {
    throw new UsageError(`Invalid ${INPUT.archive}: ${shorten(bucket)} is not a bucket name. ${allowed}`);
  }
  if (prefix !== "" && prefix.split("/").some((part) => part === "" || part === "." || part === "..")) {
    throw new UsageError(
      `Invalid ${INPUT.archive}: the prefix ${shorten(prefix)} has an empty, . or .. folder. ${allowed}`,
    );
  }
  return { bucket, prefix, url: prefix === "" ? `s3://${bucket}` : `s3://${bucket}/${prefix}` };
}

/** The key of `name` under the location's prefix. */
export function keyOf(location: S3Location, name: string): string {
  return location.prefix === "" ? name : `${location.prefix}/${name}`;
}
