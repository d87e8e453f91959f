import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { keyOf, type S3Location } from "../config/s3-location.ts";
import {
  type BackupIdentity,
  identityId,
  parseRecord,
  RecordUnreadableError,
  type RunRecord,
  type RunRecordStore,
  serializeRecord,
} from "../engine/record.ts";
import type { Probe } from "../util/fs.ts";
import { explainS3Error, isNoSuchKey, lostRace, type S3Call } from "./client.ts";

/** Attempts at moving the record while another run of the same backup moves it too. */
const ATTEMPTS = 5;

/**
 * The record of the last complete run of a backup, beside its S3 archive: `prefix/state/<backup>.json`.
 * It outlives any number of weeks without a run (the Actions cache evicts after 7 days unused). Written
 * only if it is still the version read (If-Match, If-None-Match: * for the first): when another run of
 * the same backup moved it meanwhile, the later `until` stays, since both windows start where the
 * record stood and both are in the archive.
 */
export class S3RecordStore implements RunRecordStore {
  readonly location: string;
  readonly identity: BackupIdentity;
  readonly #client: S3Client;
  readonly #s3: S3Location;
  readonly #key: string;
  readonly #signal: AbortSignal;
  readonly #probe: Probe | undefined;
  /** The ETag of the version read: undefined for none, null before anything was read. */
  #etag: string | undefined | null = null;

  constructor(
    client: S3Client,
    s3: S3Location,
    identity: BackupIdentity,
    options: { readonly signal: AbortSignal; readonly probe?: Probe | undefined },
  ) {
    this.#client = client;
    this.#s3 = s3;
    this.identity = identity;
    this.#key = keyOf(s3, `state/${identityId(identity)}.json`);
    this.location = `s3://${s3.bucket}/${this.#key}`;
    this.#signal = options.signal;
    this.#probe = options.probe;
  }

  #call(action: S3Call["action"]): S3Call {
    return { action, location: this.#s3, key: this.#key };
  }

  /** The stored text and its ETag; undefined when there is none. */
  async #read(): Promise<{ text: string; etag: string | undefined } | undefined> {
    try {
      const got = await this.#client.send(new GetObjectCommand({ Bucket: this.#s3.bucket, Key: this.#key }), {
        abortSignal: this.#signal,
      });
      return { text: (await got.Body?.transformToString("utf8")) ?? "", etag: got.ETag };
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      throw explainS3Error(error, this.#call("s3:GetObject"));
    }
  }

  async load(): Promise<RunRecord | undefined> {
    const found = await this.#read();
    this.#etag = found?.etag;
    return found && parseRecord(found.text, this.location, this.identity);
  }

  async save(record: RunRecord): Promise<void> {
    if (this.#etag === null) this.#etag = (await this.#read())?.etag;
    for (let attempt = 1; ; attempt++) {
      const condition = this.#etag === undefined ? { IfNoneMatch: "*" } : { IfMatch: this.#etag };
      try {
        const put = new PutObjectCommand({
          Bucket: this.#s3.bucket,
          Key: this.#key,
          Body: serializeRecord(record),
          ContentType: "application/json",
          ...condition,
        });
        const written = await this.#client.send(put, { abortSignal: this.#signal });
        this.#etag = written.ETag;
        this.#probe?.("s3-record-stored");
        return;
      } catch (error) {
        if (!lostRace(error) && !(this.#etag !== undefined && isNoSuchKey(error))) {
          throw explainS3Error(error, this.#call("s3:PutObject"));
        }
        if (attempt === ATTEMPTS) {
          throw new Error(
            `Could not move the last-run record ${this.location}: other runs kept moving it first.`,
            {
              cause: error,
            },
          );
        }
      }
      const found = await this.#read();
      this.#etag = found?.etag;
      if (found && laterOrSame(found.text, this, record)) return;
    }
  }
}

/** Whether the stored record (another run's) already reaches as far as `record`. */
function laterOrSame(text: string, store: S3RecordStore, record: RunRecord): boolean {
  try {
    return Date.parse(parseRecord(text, store.location, store.identity).until) >= Date.parse(record.until);
  } catch (error) {
    if (error instanceof RecordUnreadableError) return false;
    throw error;
  }
}
