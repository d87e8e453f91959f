import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";

/**
 * A real S3 server for the tests: s3rver (an S3 implementation on the local disk, spoken to over the
 * S3 REST protocol by the real `@aws-sdk/client-s3`), behind a small layer that adds what s3rver lacks
 * and what the tests need to provoke:
 * - conditional writes as S3 has them since 2024: `If-None-Match: *` and `If-Match: <etag>` on PutObject
 *   and CompleteMultipartUpload, checked and forwarded under one lock per key, so a lost race answers
 *   412 PreconditionFailed (404 NoSuchKey for `If-Match` on no object), as S3 does;
 * - faults: an operation denied (403 AccessDenied, with S3's or KMS's wording) or failing (5xx);
 * - holds: a request parked until the test releases it, to stage a race or a kill at a given step.
 * s3rver itself answers everything else: listing, objects, multipart uploads, metadata, NoSuchBucket.
 */

export const S3_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

/** The S3 operation of a request, named as IAM names the permission it needs. */
export type S3Op =
  | "ListBucket"
  | "GetObject"
  | "PutObject"
  | "CreateMultipartUpload"
  | "UploadPart"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload"
  | "DeleteObject"
  | "Other";

export interface S3Request {
  readonly op: S3Op;
  readonly method: string;
  readonly bucket: string;
  readonly key: string;
  status?: number | undefined;
}

interface Fault {
  readonly ops: readonly S3Op[];
  readonly key?: RegExp | undefined;
  readonly status: number;
  readonly code: string;
  readonly message: string;
  left: number;
}

interface Hold {
  readonly op: S3Op;
  readonly key?: RegExp | undefined;
  readonly reached: () => void;
  readonly released: Promise<void>;
}

function opOf(method: string, url: URL, key: string): S3Op {
  const q = url.searchParams;
  if (key === "") return method === "GET" || method === "HEAD" ? "ListBucket" : "Other";
  if (method === "GET" || method === "HEAD") return "GetObject";
  if (method === "PUT") return q.has("uploadId") ? "UploadPart" : "PutObject";
  if (method === "POST" && q.has("uploads")) return "CreateMultipartUpload";
  if (method === "POST" && q.has("uploadId")) return "CompleteMultipartUpload";
  if (method === "DELETE") return q.has("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
  return "Other";
}

function errorXml(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { "content-type": "application/xml", date: dateOf(res) });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>s3-test</RequestId></Error>`,
  );
}

/** The time the answers carry, set per server (see startS3's `now`). */
const clocks = new WeakMap<object, () => number>();
function dateOf(res: ServerResponse): string {
  return new Date((clocks.get(res.req) ?? Date.now)()).toUTCString();
}

export interface TestS3 {
  /** The endpoint the backfill is given (AWS_ENDPOINT_URL_S3). */
  readonly url: string;
  /** A client for the test's own reads and writes, straight to s3rver. */
  readonly client: S3Client;
  /** Every request the layer saw, in order, with its answer's status. */
  readonly requests: S3Request[];
  /** Environment for a child process that backs up into this server. */
  env(): Record<string, string>;
  /** A new client that speaks to the layer, as a backfill's does; the caller destroys it. */
  layerClient(): S3Client;
  /** `ops` on keys matching `key` (every key: undefined) answer 403 AccessDenied with `message`. */
  deny(ops: readonly S3Op[], options?: { key?: RegExp; message?: string }): void;
  /** The next `times` requests of `ops` answer `status` (500 InternalError by default). */
  fail(
    ops: readonly S3Op[],
    options?: { key?: RegExp; times?: number; status?: number; code?: string },
  ): void;
  /** Parks the next request of `op` (on a key matching `key`): `reached` resolves when it arrives. */
  hold(op: S3Op, key?: RegExp): { readonly reached: Promise<void>; release(): void };
  clearFaults(): void;
  /** Object keys under `prefix`. */
  keys(bucket: string, prefix?: string): Promise<string[]>;
  /** An object's bytes (gunzipped when the key ends in .gz), or undefined when there is none. */
  text(bucket: string, key: string): Promise<string | undefined>;
  etag(bucket: string, key: string): Promise<string | undefined>;
  put(bucket: string, key: string, body: string | Uint8Array): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts s3rver on a temp folder with `buckets`, and the layer in front of it. `now`: the time the
 * answers' `Date` header says, the clock of the backfill under test (fake-clock.ts), as S3's agrees with
 * a runner's; otherwise the SDK would see its clock skewed by weeks and retry every refusal.
 */
export async function startS3(
  buckets: readonly string[] = ["backups"],
  now: () => number = Date.now,
): Promise<TestS3> {
  const dir = await mkdtemp(join(tmpdir(), "s3rver-"));
  const s3rver = spawn(
    process.execPath,
    ["--openssl-legacy-provider", resolve("test/support/s3rver-process.mjs"), dir, ...buckets],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const upstreamPort = await new Promise<number>((resolvePort, reject) => {
    s3rver.stdout.once("data", (chunk: Buffer) => resolvePort(Number.parseInt(chunk.toString(), 10)));
    s3rver.once("exit", (code) => reject(new Error(`s3rver exited (${code}) before it listened`)));
  });
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  const client = new S3Client({
    region: "us-east-1",
    endpoint: upstream,
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  const requests: S3Request[] = [];
  let faults: Fault[] = [];
  const holds: Hold[] = [];
  const locks = new Map<string, Promise<void>>();

  const headEtag = async (bucket: string, key: string): Promise<string | undefined> =>
    client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      (head) => head.ETag,
      (error: { $metadata?: { httpStatusCode?: number } }) => {
        if (error.$metadata?.httpStatusCode === 404) return undefined;
        throw error;
      },
    );

  /**
   * s3rver knows one key pair: any credentials stand for it (signatures are not checked), as if every
   * account the tests use may write the bucket; denials come from `deny`. The request's time is the
   * server's own: the tests run the backfill on a clock they set (fake-clock.ts), weeks from this one.
   */
  const upstreamHeaders = (req: IncomingMessage) => ({
    ...req.headers,
    host: `127.0.0.1:${upstreamPort}`,
    "x-amz-date": new Date().toISOString().replace(/[-:]|\.\d+/g, ""),
    ...(req.headers.authorization && {
      authorization: req.headers.authorization.replace(
        /Credential=[^/]+\//,
        `Credential=${S3_CREDENTIALS.accessKeyId}/`,
      ),
    }),
  });

  const forward = (req: IncomingMessage, res: ServerResponse, entry: S3Request): Promise<void> =>
    new Promise((resolve) => {
      const out = request(
        `${upstream}${req.url ?? "/"}`,
        { method: req.method, headers: upstreamHeaders(req) },
        (answer) => {
          entry.status = answer.statusCode;
          res.writeHead(answer.statusCode ?? 502, { ...answer.headers, date: dateOf(res) });
          answer.pipe(res);
          answer.on("end", () => resolve());
          answer.on("error", () => resolve());
        },
      );
      out.on("error", () => {
        res.destroy();
        resolve();
      });
      req.on("aborted", () => {
        out.destroy();
        resolve();
      });
      req.pipe(out);
    });

  /** Checks a conditional write and forwards it under the key's lock, as S3 decides a race. */
  const conditional = async (req: IncomingMessage, res: ServerResponse, entry: S3Request) => {
    const id = `${entry.bucket}/${entry.key}`;
    const before = locks.get(id) ?? Promise.resolve();
    let unlock = () => {};
    const mine = new Promise<void>((resolve) => (unlock = resolve));
    locks.set(
      id,
      before.then(() => mine),
    );
    await before;
    try {
      const current = await headEtag(entry.bucket, entry.key);
      const ifNoneMatch = req.headers["if-none-match"];
      const ifMatch = req.headers["if-match"];
      if (ifNoneMatch === "*" && current !== undefined) {
        entry.status = 412;
        req.resume();
        return errorXml(
          res,
          412,
          "PreconditionFailed",
          "At least one of the pre-conditions you specified did not hold",
        );
      }
      if (ifMatch !== undefined && current === undefined) {
        entry.status = 404;
        req.resume();
        return errorXml(res, 404, "NoSuchKey", "The specified key does not exist.");
      }
      if (ifMatch !== undefined && ifMatch !== current) {
        entry.status = 412;
        req.resume();
        return errorXml(
          res,
          412,
          "PreconditionFailed",
          "At least one of the pre-conditions you specified did not hold",
        );
      }
      await forward(req, res, entry);
    } finally {
      unlock();
    }
  };

  const server = createServer((req, res) => {
    void (async () => {
      clocks.set(req, now);
      const url = new URL(req.url ?? "/", "http://s3.local");
      const [, bucket = "", ...rest] = url.pathname.split("/");
      const key = decodeURIComponent(rest.join("/"));
      const method = req.method ?? "GET";
      const entry: S3Request = { op: opOf(method, url, key), method, bucket, key };
      requests.push(entry);
      if (req.headers["content-encoding"]?.includes("aws-chunked")) {
        // s3rver would store the chunk framing: a test must notice rather than read garbage.
        entry.status = 501;
        req.resume();
        return errorXml(res, 501, "NotImplemented", "aws-chunked bodies are not supported by the test S3");
      }
      const hold = holds.findIndex((h) => h.op === entry.op && (!h.key || h.key.test(key)));
      if (hold >= 0) {
        const [found] = holds.splice(hold, 1) as [Hold];
        found.reached();
        await found.released;
        // The client went away while the request waited (a kill): like an upload whose connection broke
        // before its body ended, it is dropped, not stored.
        if (req.socket.destroyed) {
          entry.status = 0;
          return;
        }
      }
      const fault = faults.find((f) => f.left > 0 && f.ops.includes(entry.op) && (!f.key || f.key.test(key)));
      if (fault) {
        fault.left -= 1;
        entry.status = fault.status;
        req.resume();
        return errorXml(res, fault.status, fault.code, fault.message);
      }
      const writes = entry.op === "PutObject" || entry.op === "CompleteMultipartUpload";
      if (writes && (req.headers["if-match"] !== undefined || req.headers["if-none-match"] !== undefined)) {
        return conditional(req, res, entry);
      }
      await forward(req, res, entry);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const keys = async (bucket: string, prefix = ""): Promise<string[]> => {
    const found: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const item of page.Contents ?? []) if (item.Key) found.push(item.Key);
      token = page.NextContinuationToken;
    } while (token);
    return found.sort();
  };

  return {
    url,
    client,
    requests,
    layerClient: () =>
      new S3Client({ region: "us-east-1", endpoint: url, forcePathStyle: true, credentials: S3_CREDENTIALS }),
    env: () => ({
      AWS_ENDPOINT_URL_S3: url,
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
      AWS_REGION: "us-east-1",
    }),
    deny(ops, options = {}) {
      const message = options.message ?? "Access Denied";
      faults.push({ ops, key: options.key, status: 403, code: "AccessDenied", message, left: Infinity });
    },
    fail(ops, options = {}) {
      faults.push({
        ops,
        key: options.key,
        status: options.status ?? 500,
        code: options.code ?? "InternalError",
        message: "We encountered an internal error. Please try again.",
        left: options.times ?? 1,
      });
    },
    hold(op, key) {
      let reached = () => {};
      let release = () => {};
      const arrived = new Promise<void>((resolve) => (reached = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.push({ op, key, reached, released });
      return { reached: arrived, release };
    },
    clearFaults() {
      faults = [];
    },
    keys,
    async text(bucket, key) {
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch((error) => {
        if ((error as { name?: string }).name === "NoSuchKey") return undefined;
        throw error;
      });
      if (!got?.Body) return undefined;
      const bytes = await got.Body.transformToByteArray();
      return (key.endsWith(".gz") ? gunzipSync(bytes) : Buffer.from(bytes)).toString("utf8");
    },
    etag: headEtag,
    async put(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      client.destroy();
      s3rver.kill();
      await new Promise((r) => s3rver.once("exit", r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
