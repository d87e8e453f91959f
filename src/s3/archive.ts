import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { createGunzip, createGzip, gunzipSync } from "node:zlib";
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { Layout } from "../config/names.ts";
import { keyOf, type S3Location } from "../config/s3-location.ts";
import { type BackupIdentity, identityId } from "../engine/record.ts";
import { ArchiveFile, type MergeResult } from "../local/archive.ts";
import type { Probe } from "../util/fs.ts";
import { isObject, parseDocument } from "../util/json.ts";
import { explainS3Error, isNoSuchKey, lostRace, type S3Call } from "./client.ts";
import { HEIDI_PREFIX, type HeidiContext, heidiDay, heidiIds, heidiObjects } from "./heidi.ts";

/**
 * `archive: s3://bucket/prefix`: the durable home of a scheduled backup.
 *
 *   prefix/deltas/year=YYYY/month=MM/day=DD/<window-to>-<backup>.ndjson.gz   each complete run's output
 *   prefix/archive/archive.ndjson.gz    the newest version of every event (as merge-into keeps it)
 *   prefix/state/<backup>.json          the record of the last complete run (S3RecordStore)
 *   prefix/state/<backup>.started.json  who started the last run, written to check access up front
 *   prefix/state/<backup>.heidi-pending.json   with layout heidi: runs whose HEIDI objects may be stored
 *       while the archive does not hold their versions yet (a kill, a failed archive write)
 *   DataCollection-data/heidi.health/YYYY/MM/DD/<window-to>-<backup>-<part>.json.gz   with layout heidi,
 *       at the bucket's root, where HEIDI's table reads (docs/heidi.md)
 *
 * The archive has a folder of its own because Athena reads every object under a table's location.
 * Once the backfill completes, the delta is stored, then the archive, and the engine moves the record
 * only after both: a failure or kill anywhere leaves the record behind, and the next run covers the
 * window again (the merge absorbs what is stored twice). The archive is replaced only if it is still
 * the version that was merged into (If-Match, or If-None-Match: * for the first), so two runs that
 * share one archive never lose each other's events: the loser reads it again, merges again, retries.
 */
export const ARCHIVE_NAME = "archive/archive.ndjson.gz";

/** Attempts at replacing the archive while other runs keep replacing it first. */
const ATTEMPTS = 5;

/** Parts of a large object: 16 MiB, four in flight. */
const PART_SIZE = 16 << 20;

export interface S3Committed {
  /** The delta's URL. */
  readonly delta: string;
  readonly archive: string;
  readonly merged: MergeResult;
  /** Objects written for layout heidi. */
  readonly heidi: number;
}

export interface S3ArchiveOptions {
  readonly client: S3Client;
  readonly location: S3Location;
  readonly identity: BackupIdentity;
  readonly layout: Layout;
  /** The query's locale, for HEIDI's `eventDescription[].language`. */
  readonly language?: string | undefined;
  /** Who writes, for the objects' metadata and for a run that loses a race to name the other. */
  readonly writer: string;
  readonly signal: AbortSignal;
  /** Crash tests: named points of the commit (see cli/run.ts). */
  readonly probe?: Probe | undefined;
  /** Bytes per part of a multipart upload (default 16 MiB; S3's least is 5 MiB). */
  readonly partSize?: number | undefined;
}

/** `2026-12-04T17:30:00.000Z` as `20261204T173000Z`: sortable, and no colon in a key. */
function compactTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
}

/** A run whose HEIDI objects may be stored under `<day>/<name>-<part>.json.gz` for each of `days`. */
interface PendingRun {
  readonly name: string;
  readonly days: readonly string[];
}

/** A local copy of the archive, gunzipped, with the ETag of the version it was read from. */
interface Copy {
  readonly etag: string | undefined;
  readonly file: ArchiveFile;
}

export class S3Archive {
  readonly #o: S3ArchiveOptions;
  readonly archiveKey: string;
  /** `s3://bucket/prefix/archive/archive.ndjson.gz`. */
  readonly url: string;
  readonly #pendingKey: string;
  #dir: string | undefined;
  #copy: Copy | undefined;

  constructor(options: S3ArchiveOptions) {
    this.#o = options;
    this.archiveKey = keyOf(options.location, ARCHIVE_NAME);
    this.url = `s3://${options.location.bucket}/${this.archiveKey}`;
    this.#pendingKey = keyOf(options.location, `state/${identityId(options.identity)}.heidi-pending.json`);
  }

  #call(action: S3Call["action"], key?: string): S3Call {
    return { action, location: this.#o.location, ...(key === undefined ? {} : { key }) };
  }

  async #send<T>(call: S3Call, request: (options: { abortSignal: AbortSignal }) => Promise<T>): Promise<T> {
    try {
      return await request({ abortSignal: this.#o.signal });
    } catch (error) {
      throw explainS3Error(error, call);
    }
  }

  /**
   * Before the first AWS Health call: the bucket exists (else exit 2) and the credentials may list it,
   * write and read objects under the prefix, with the bucket's KMS key if it has one (else exit 4,
   * naming the action). Then the archive is read and checked line by line, as merge-into's is.
   */
  async prepare(): Promise<void> {
    const { location, identity } = this.#o;
    const { client } = this.#o;
    await this.#send(this.#call("s3:ListBucket"), (o) =>
      client.send(
        new ListObjectsV2Command({ Bucket: location.bucket, Prefix: keyOf(location, ""), MaxKeys: 1 }),
        o,
      ),
    );
    const started = keyOf(location, `state/${identityId(identity)}.started.json`);
    const body = `${JSON.stringify({ writer: this.#o.writer, startedAt: new Date().toISOString(), identity })}\n`;
    await this.#put(started, Readable.from([Buffer.from(body)]), { ContentType: "application/json" });
    await this.#send(this.#call("s3:GetObject", started), async (o) => {
      const check = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: started }), o);
      return check.Body?.transformToString();
    });
    if (this.#o.layout === "heidi") await this.#checkHeidiAccess();
    this.#copy = await this.#download();
  }

  /**
   * Layout heidi writes at the bucket's root, outside the prefix, and reads back there what a run cut
   * off wrote (see #heidi): checked without writing there. The write by a write that S3 refuses after
   * it authorised it (If-Match on an object that does not exist: 404, or 403 when the write is not
   * allowed); the read by reading that object that does not exist (404, or 403); the listing by a
   * listing. The name starts with a dot, which Athena skips, should a server ignore the condition.
   */
  async #checkHeidiAccess(): Promise<void> {
    const { client, location, signal } = this.#o;
    const key = `${HEIDI_PREFIX}.health-backfill-access-check`;
    const put = new PutObjectCommand({
      Bucket: location.bucket,
      Key: key,
      Body: "",
      IfMatch: '"00000000000000000000000000000000"',
    });
    try {
      await client.send(put, { abortSignal: signal });
    } catch (error) {
      if (!isNoSuchKey(error) && !lostRace(error))
        throw explainS3Error(error, this.#call("s3:PutObject", key));
    }
    try {
      await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }), { abortSignal: signal });
    } catch (error) {
      if (!isNoSuchKey(error)) throw explainS3Error(error, this.#call("s3:GetObject", key));
    }
    await this.#send(this.#call("s3:ListBucket"), (o) =>
      client.send(new ListObjectsV2Command({ Bucket: location.bucket, Prefix: HEIDI_PREFIX, MaxKeys: 1 }), o),
    );
  }

  /** The archive's current ETag; undefined when there is none yet. */
  async #etag(): Promise<string | undefined> {
    const call = this.#call("s3:GetObject", this.archiveKey);
    try {
      const head = await this.#o.client.send(
        new HeadObjectCommand({ Bucket: this.#o.location.bucket, Key: this.archiveKey }),
        { abortSignal: this.#o.signal },
      );
      return head.ETag;
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      throw explainS3Error(error, call);
    }
  }

  /** Reads the archive into a local file (gunzipped) and checks every line. */
  async #download(): Promise<Copy> {
    this.#dir ??= await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), "health-backfill-s3-"));
    const path = join(this.#dir, "archive.ndjson");
    await rm(path, { force: true });
    const call = this.#call("s3:GetObject", this.archiveKey);
    const file = new ArchiveFile(path, undefined, { input: "archive", location: this.url });
    let etag: string | undefined;
    try {
      const got = await this.#o.client.send(
        new GetObjectCommand({ Bucket: this.#o.location.bucket, Key: this.archiveKey }),
        { abortSignal: this.#o.signal },
      );
      etag = got.ETag;
      await pipeline(got.Body as Readable, createGunzip(), createWriteStream(path), {
        signal: this.#o.signal,
      });
    } catch (error) {
      if (!isNoSuchKey(error)) throw explainS3Error(error, call);
    }
    await file.prepare();
    return { etag, file };
  }

  /**
   * Stores the delta (and the HEIDI records), then folds the delta into the archive and replaces it
   * conditionally. The engine moves the last-run record afterwards.
   */
  async commit(delta: string, windowTo: string): Promise<S3Committed> {
    const { location, identity, probe } = this.#o;
    const stamp = compactTime(windowTo);
    const [year, month, day] = windowTo.slice(0, 10).split("-");
    const name = `${stamp}-${identityId(identity)}`;
    const deltaKey = keyOf(location, `deltas/year=${year}/month=${month}/day=${day}/${name}.ndjson.gz`);
    await this.#put(deltaKey, createReadStream(delta).pipe(createGzip()), {
      ContentType: "application/x-ndjson",
    });
    probe?.("s3-delta-stored");
    const heidi =
      this.#o.layout === "heidi" ? await this.#heidi(delta, name) : { objects: 0, pending: false };
    const merged = await this.#replaceArchive(delta);
    probe?.("s3-archive-stored");
    // The archive holds every version the pending runs wrote for HEIDI now: nothing is left to skip.
    if (heidi.pending) await this.#writePending([]);
    return { delta: `s3://${location.bucket}/${deltaKey}`, archive: this.url, merged, heidi: heidi.objects };
  }

  /**
   * Layout heidi: the versions of the delta the archive does not hold yet, as HEIDI's records, at the
   * bucket's root where HEIDI's table reads. HEIDI keeps every row it is given and picks the newest by
   * rank, which keeps ties: a version written twice (the overlap of `since: last-run`, a repeated
   * window) would show twice, so what the archive holds already is left out, and so is what an earlier
   * run wrote there before it was cut off ahead of its archive: before its first object, a run names
   * itself and the days it writes in the pending object, and the next run reads back what it finds
   * under those names. `pending`: whether the pending object names any run, to empty once the archive
   * is stored.
   */
  async #heidi(delta: string, name: string): Promise<{ objects: number; pending: boolean }> {
    const etag = await this.#etag();
    if (this.#copy === undefined || this.#copy.etag !== etag) this.#copy = await this.#download();
    const { file } = this.#copy;
    const context: HeidiContext = {
      account: this.#o.identity.account,
      ...(this.#o.language && { language: this.#o.language }),
    };
    const pending = await this.#readPending();
    const written = await this.#writtenIds(pending);
    const fresh = async function* () {
      const lines = createInterface({ input: createReadStream(delta), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line.trim() === "" || !file.lacks(line)) continue;
        const ids = written.size === 0 ? [] : heidiIds(JSON.parse(line) as Record<string, unknown>, context);
        if (ids.length === 0 || !ids.every((id) => written.has(id))) yield line;
      }
    };
    const days = new Set<string>();
    for await (const line of fresh()) days.add(heidiDay(JSON.parse(line) as Record<string, unknown>));
    if (days.size > 0) await this.#writePending([...pending, { name, days: [...days].sort() }]);
    let objects = 0;
    for await (const object of heidiObjects(fresh(), context)) {
      const key = `${HEIDI_PREFIX}${object.day}/${name}-${object.part}.json.gz`;
      await this.#put(key, Readable.from([object.body]), { ContentType: "application/json" });
      objects += 1;
      this.#o.probe?.("s3-heidi-object");
    }
    this.#o.probe?.("s3-heidi-stored");
    return { objects, pending: pending.length > 0 || days.size > 0 };
  }

  /** The runs of this backup cut off after writing for HEIDI and before their archive; [] when none. */
  async #readPending(): Promise<PendingRun[]> {
    const { client, location } = this.#o;
    const text = await this.#send(this.#call("s3:GetObject", this.#pendingKey), async (o) => {
      try {
        const got = await client.send(
          new GetObjectCommand({ Bucket: location.bucket, Key: this.#pendingKey }),
          o,
        );
        return await got.Body?.transformToString();
      } catch (error) {
        if (isNoSuchKey(error)) return undefined;
        throw error;
      }
    });
    const doc = parseDocument(text);
    const runs = Array.isArray(doc?.runs) ? doc.runs : [];
    return runs.flatMap((run): PendingRun[] =>
      isObject(run) &&
      typeof run.name === "string" &&
      /^[0-9A-Za-z-]+$/.test(run.name) &&
      Array.isArray(run.days) &&
      run.days.every((d) => typeof d === "string" && /^\d{4}\/\d{2}\/\d{2}$/.test(d))
        ? [{ name: run.name, days: run.days as string[] }]
        : [],
    );
  }

  async #writePending(runs: readonly PendingRun[]): Promise<void> {
    const body = `${JSON.stringify({ runs })}\n`;
    await this.#put(this.#pendingKey, Readable.from([Buffer.from(body)]), {
      ContentType: "application/json",
    });
  }

  /** The ids of the HEIDI records the pending runs stored: every object found under their names. */
  async #writtenIds(runs: readonly PendingRun[]): Promise<Set<string>> {
    const { client, location } = this.#o;
    const ids = new Set<string>();
    for (const run of runs) {
      for (const day of run.days) {
        const prefix = `${HEIDI_PREFIX}${day}/${run.name}-`;
        let token: string | undefined;
        do {
          const page = await this.#send(this.#call("s3:ListBucket"), (o) =>
            client.send(
              new ListObjectsV2Command({ Bucket: location.bucket, Prefix: prefix, ContinuationToken: token }),
              o,
            ),
          );
          for (const { Key: key } of page.Contents ?? []) {
            if (key === undefined) continue;
            const bytes = await this.#send(this.#call("s3:GetObject", key), async (o) => {
              const got = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }), o);
              return got.Body?.transformToByteArray();
            });
            for (const line of gunzipSync(bytes ?? new Uint8Array())
              .toString("utf8")
              .split("\n")) {
              const record = parseDocument(line);
              if (typeof record?.id === "string") ids.add(record.id);
            }
          }
          token = page.NextContinuationToken;
        } while (token);
      }
    }
    return ids;
  }

  async #replaceArchive(delta: string): Promise<MergeResult> {
    for (let attempt = 1; ; attempt++) {
      const etag = await this.#etag();
      if (this.#copy === undefined || this.#copy.etag !== etag) this.#copy = await this.#download();
      const { file } = this.#copy;
      const read = this.#copy.etag;
      this.#copy = undefined; // the merge changes the local copy: it is no version of the archive's now
      const merged = await file.merge(delta);
      const condition: Partial<PutObjectCommandInput> =
        read === undefined ? { IfNoneMatch: "*" } : { IfMatch: read };
      try {
        const body = createReadStream(file.path).pipe(createGzip());
        await this.#put(this.archiveKey, body, { ...condition, ContentType: "application/x-ndjson" }, true);
        return merged;
      } catch (error) {
        if (!lostRace(error)) throw error;
        if (attempt === ATTEMPTS) throw await this.#lost(error);
        await sleep(200 * attempt + Math.floor(Math.random() * 300), undefined, { signal: this.#o.signal });
      }
    }
  }

  /** Another run kept replacing the archive first: names it, from the archive's metadata. */
  async #lost(error: unknown): Promise<Error> {
    const head = await this.#o.client
      .send(new HeadObjectCommand({ Bucket: this.#o.location.bucket, Key: this.archiveKey }))
      .catch(() => undefined);
    const writer = head?.Metadata?.["written-by"];
    const other = writer
      ? `${decodeURIComponent(writer)}${head?.LastModified ? ` at ${head.LastModified.toISOString()}` : ""}`
      : "another writer";
    return new Error(
      `Could not replace ${this.url}: ${ATTEMPTS} times another run replaced it first (last: ${other}). Nothing of this run's window is lost: it runs again next time.`,
      { cause: error },
    );
  }

  /**
   * Uploads an object, in parts when large. `race`: a lost condition (412) is thrown as it is, for the
   * caller to retry; any other failure is explained.
   */
  async #put(
    key: string,
    body: Readable,
    params: Partial<PutObjectCommandInput>,
    race = false,
  ): Promise<void> {
    const controller = new AbortController();
    const abort = () => controller.abort();
    this.#o.signal.addEventListener("abort", abort, { once: true });
    const upload = new Upload({
      client: this.#o.client,
      params: {
        Bucket: this.#o.location.bucket,
        Key: key,
        Body: body,
        Metadata: { "written-by": encodeURIComponent(this.#o.writer) },
        ...params,
      },
      partSize: this.#o.partSize ?? PART_SIZE,
      queueSize: 4,
      abortController: controller,
    });
    if (key === this.archiveKey) upload.on("httpUploadProgress", () => this.#o.probe?.("s3-archive-part"));
    try {
      await upload.done();
    } catch (error) {
      if (race && lostRace(error)) throw error;
      throw explainS3Error(error, this.#call("s3:PutObject", key));
    } finally {
      this.#o.signal.removeEventListener("abort", abort);
    }
  }

  /** Removes the local copy. */
  async close(): Promise<void> {
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true }).catch(() => {});
  }
}
