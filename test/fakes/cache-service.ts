/**
 * A local fake of the GitHub Actions cache service v2, for tests that drive the real `@actions/cache`
 * (6.3) client. It speaks what that client sends and expects:
 *
 * - Twirp JSON: `POST /twirp/github.actions.results.api.v1.CacheService/<Method>` with
 *   `Authorization: Bearer <ACTIONS_RUNTIME_TOKEN>` and `Content-Type: application/json`; snake_case
 *   fields (`restore_keys`, `size_bytes` as a string). Every answer is JSON: the client parses the body
 *   before it looks at the status and retries a body that is not JSON for about 30 s.
 *   Errors are Twirp errors `{"code", "msg"}` with the matching HTTP status.
 * - Signed blob URLs on the same server, shaped like Azure "IP style" URLs
 *   (`/<account>/<container>/<blob>`) because the client hands the upload URL to the Azure SDK:
 *   `PUT` with `x-ms-blob-type: BlockBlob` (one request up to 128 MiB) answers 201; `comp=block` plus
 *   `comp=blocklist` (the SDK's path above 128 MiB) is supported too. Download is a plain `GET`.
 *
 * Service behaviour reproduced from GitHub (messages as the live service sends them):
 * - Keys are immutable: a second CreateCacheEntry for the same key and version is a 409
 *   `already_exists` "cache entry with the same key, version, and scope already exists". An entry
 *   that was created but never finalized also holds its key (fake choice, like the v1 reservation).
 * - A read-only token (untrusted trigger) gets HTTP 200 `{"ok": false, "message": "cache write
 *   denied: token has no writable scopes"}`; the client turns the `cache write denied:` prefix into a
 *   CacheWriteDeniedError (see CACHE_WRITE_DENIED_PREFIX in @actions/cache).
 * - Lookup: same version only, finalized entries only; exact primary key, then the newest entry whose
 *   key starts with it, then each restore key (exact, then newest prefix). A miss is 200 `{"ok":false}`.
 *
 * Fake-specific choices: FinalizeCacheEntryUpload without uploaded data, or with a size that differs
 * from the uploaded bytes, is a 400 `invalid_argument`; finalizing an unknown entry is a 404
 * `not_found`; an upload URL stops working once its entry is finalized (403).
 *
 * The REST API a workflow token uses to manage caches (https://docs.github.com/en/rest/actions/cache),
 * on the same server (GITHUB_API_URL), for one repository (GITHUB_REPOSITORY):
 * - `GET /repos/{owner}/{repo}/actions/caches?key=&per_page=&page=`: finalized entries whose key starts
 *   with `key`, newest first, `{total_count, actions_caches: [{id, ref, key, version, ...}]}`;
 * - `DELETE /repos/{owner}/{repo}/actions/caches?key=`: every entry with exactly that key (200 with
 *   the deleted ones, 404 when none);
 * - `DELETE /repos/{owner}/{repo}/actions/caches/{cache_id}`: 204, or 404.
 * A token is `Authorization: Bearer <token>` (or `token <token>`) from `grant()`: listing needs
 * `actions: read`, deleting `actions: write`; less is 403 "Resource not accessible by integration",
 * as GitHub answers a GITHUB_TOKEN without that permission; an unknown token is 401 "Bad credentials".
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface CacheEntry {
  key: string;
  version: string;
  size: number;
  /** Milliseconds since the epoch, strictly increasing across entries (the lookup's "newest"). */
  createdAt: number;
  finalized: boolean;
  data?: Buffer;
  id: number;
}

export type CacheOp = "create" | "finalize" | "lookup" | "upload" | "download" | "list" | "delete";

/** What `permissions: actions:` grants the token (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#permissions). */
export type ActionsPermission = "none" | "read" | "write";

export interface CacheFault {
  status: number;
  /** How many upcoming calls of the operation fail; `Infinity` allowed. */
  times: number;
  /** Raw body to send instead of the default Twirp JSON (or Azure XML for blob operations). */
  body?: string;
  /** Extra response headers, e.g. `{ "retry-after": "60" }` on a 429. */
  headers?: Record<string, string>;
}

export interface CacheCounts {
  /** Requests received per operation, failed ones included (retries show up here). */
  create: number;
  finalize: number;
  lookup: number;
  upload: number;
  download: number;
  /** Body bytes of accepted uploads (single PUT or staged blocks). */
  uploadedBytes: number;
  /** Body bytes sent by successful downloads. */
  downloadedBytes: number;
  /** REST requests: listing caches, and deleting them (by key or by id). */
  list: number;
  delete: number;
  /** Requests refused: any non-2xx answer, plus the read-only refusal (200 with ok: false). */
  rejected: number;
}

export interface FakeCacheService {
  /** Value for ACTIONS_RESULTS_URL, with a trailing slash. */
  url: string;
  /** Value for ACTIONS_RUNTIME_TOKEN. */
  token: string;
  /** ACTIONS_RESULTS_URL, ACTIONS_RUNTIME_TOKEN, ACTIONS_CACHE_SERVICE_V2=true, GITHUB_API_URL, GITHUB_REPOSITORY. */
  env(): Record<string, string>;
  /** GITHUB_REPOSITORY: the one repository whose caches the REST API serves. */
  repository: string;
  /** A new REST token with this actions permission (a workflow's `github.token`). */
  grant(permission: ActionsPermission): string;
  /** Adds a finalized entry, the way an earlier run left it. */
  put(entry: { key: string; version: string; data: Buffer }): CacheEntry;
  /** Removes the entries with this key, the way GitHub evicts an entry unused for 7 days; returns how many. */
  evict(key: string): number;
  /** Every entry, finalized or not, in creation order. */
  entries: CacheEntry[];
  counts: CacheCounts;
  /** Make the next `fault.times` calls of `op` fail. Faults for one operation queue up in order. */
  fail(op: CacheOp, fault: CacheFault): void;
  /** When true, CreateCacheEntry is refused the way GitHub refuses writes for untrusted triggers. */
  readOnly: boolean;
  /** Stops the server and destroys open (keep-alive) sockets. Safe to call twice. */
  close(): Promise<void>;
}

export const TWIRP_SERVICE_PATH = "/twirp/github.actions.results.api.v1.CacheService/";
/** Path of the blob URLs: Azure "IP style", account `blob`, container `cache`, blob name = entry id. */
export const BLOB_PATH = "/blob/cache/";
export const ALREADY_EXISTS_MESSAGE = "cache entry with the same key, version, and scope already exists";
export const WRITE_DENIED_MESSAGE = "cache write denied: token has no writable scopes";

const TWIRP_OPS: Readonly<Record<string, CacheOp>> = {
  CreateCacheEntry: "create",
  FinalizeCacheEntryUpload: "finalize",
  GetCacheEntryDownloadURL: "lookup",
};

/** Twirp error codes for the statuses a fault may use (https://twitchtv.github.io/twirp/docs/spec_v7.html). */
const TWIRP_CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: "invalid_argument",
  401: "unauthenticated",
  403: "permission_denied",
  404: "not_found",
  408: "deadline_exceeded",
  409: "already_exists",
  412: "failed_precondition",
  429: "resource_exhausted",
  500: "internal",
  501: "unimplemented",
  503: "unavailable",
};

const BLOB_CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: "InvalidInput",
  403: "AuthenticationFailed",
  404: "BlobNotFound",
  409: "Conflict",
  429: "ServerBusy",
  500: "InternalError",
  503: "ServerBusy",
};

const MAX_KEY_LENGTH = 512;

interface BlobState {
  uploadSig: string;
  downloadSig: string;
  blocks: Map<string, Buffer>;
}

type Json = Record<string, unknown>;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string>,
): void {
  res.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(body)) });
  res.end(body);
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: Json,
  headers: Record<string, string> = {},
): void {
  send(res, status, JSON.stringify(body), { "content-type": "application/json", ...headers });
}

function escapeXml(text: string): string {
  return text.replace(/[<>&]/g, (c) => (c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&amp;"));
}

function blobErrorBody(code: string, message: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`;
}

function stringField(body: Json, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = body[name];
    if (typeof value === "string") return value;
  }
  return undefined;
}

/** proto3 JSON: int64 travels as a string, but a number is accepted too. */
function integerField(body: Json, ...names: string[]): number | undefined {
  for (const name of names) {
    const value = body[name];
    const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof n === "number" && Number.isSafeInteger(n) && n >= 0) return n;
  }
  return undefined;
}

function stringListField(body: Json, ...names: string[]): string[] | undefined {
  for (const name of names) {
    const value = body[name];
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  }
  return undefined;
}

class FakeCacheServer implements FakeCacheService {
  readonly url: string;
  readonly token: string;
  readonly entries: CacheEntry[] = [];
  readonly counts: CacheCounts = {
    create: 0,
    finalize: 0,
    lookup: 0,
    upload: 0,
    download: 0,
    uploadedBytes: 0,
    downloadedBytes: 0,
    list: 0,
    delete: 0,
    rejected: 0,
  };
  readOnly = false;
  readonly repository = "octo-org/health-backup";
  readonly #apiTokens = new Map<string, ActionsPermission>();
  readonly #server: Server;
  readonly #faults = new Map<CacheOp, CacheFault[]>();
  readonly #blobs = new Map<number, BlobState>();
  #nextId = 1;
  #lastCreatedAt = 0;
  #closed: Promise<void> | undefined;

  constructor(server: Server, url: string, token: string) {
    this.#server = server;
    this.url = url;
    this.token = token;
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.#onRequest(req, res).catch((error: unknown) => {
        if (!res.headersSent) this.#twirpError(res, 500, "internal", `fake cache service: ${String(error)}`);
        else res.destroy();
      });
    });
  }

  env(): Record<string, string> {
    return {
      ACTIONS_RESULTS_URL: this.url,
      ACTIONS_RUNTIME_TOKEN: this.token,
      ACTIONS_CACHE_SERVICE_V2: "true",
      GITHUB_API_URL: this.url.replace(/\/$/, ""),
      GITHUB_REPOSITORY: this.repository,
    };
  }

  grant(permission: ActionsPermission): string {
    const token = `ghs_${randomSig()}`;
    this.#apiTokens.set(token, permission);
    return token;
  }

  put(e: { key: string; version: string; data: Buffer }): CacheEntry {
    this.#lastCreatedAt = Math.max(Date.now(), this.#lastCreatedAt + 1);
    const entry: CacheEntry = {
      ...e,
      size: e.data.length,
      createdAt: this.#lastCreatedAt,
      finalized: true,
      id: this.#nextId++,
    };
    this.entries.push(entry);
    this.#blobs.set(entry.id, { uploadSig: randomSig(), downloadSig: randomSig(), blocks: new Map() });
    return entry;
  }

  evict(key: string): number {
    return this.#remove((e) => e.key === key).length;
  }

  #remove(match: (e: CacheEntry) => boolean): CacheEntry[] {
    const removed = this.entries.filter(match);
    for (const e of removed) {
      this.entries.splice(this.entries.indexOf(e), 1);
      this.#blobs.delete(e.id);
    }
    return removed;
  }

  fail(op: CacheOp, fault: CacheFault): void {
    if (!Number.isInteger(fault.status) || fault.status < 300 || fault.status > 599) {
      throw new RangeError(`fault status must be an HTTP error status (300-599), got ${fault.status}`);
    }
    if (!(fault.times === Number.POSITIVE_INFINITY || (Number.isInteger(fault.times) && fault.times > 0))) {
      throw new RangeError(`fault times must be a positive integer or Infinity, got ${fault.times}`);
    }
    const queue = this.#faults.get(op) ?? [];
    queue.push({ ...fault });
    this.#faults.set(op, queue);
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve, reject) => {
      this.#server.close((error) => (error ? reject(error) : resolve()));
      // close() alone waits for idle keep-alive sockets (the Azure SDK keeps them open).
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", this.url);
    if (url.pathname.startsWith(TWIRP_SERVICE_PATH)) {
      this.#onTwirp(req, url.pathname.slice(TWIRP_SERVICE_PATH.length), body, res);
    } else if (url.pathname.startsWith(BLOB_PATH)) {
      this.#onBlob(req, url, body, res);
    } else if (url.pathname.startsWith("/repos/")) {
      this.#onRest(req, url, res);
    } else {
      this.#twirpError(res, 404, "bad_route", `no handler for ${req.method ?? "?"} ${url.pathname}`);
    }
  }

  /** Takes one call from the first pending fault of `op`, if any. */
  #takeFault(op: CacheOp): CacheFault | undefined {
    const queue = this.#faults.get(op);
    const fault = queue?.[0];
    if (queue === undefined || fault === undefined) return undefined;
    fault.times -= 1;
    if (fault.times <= 0) queue.shift();
    return fault;
  }

  #twirpError(res: ServerResponse, status: number, code: string, msg: string): void {
    this.counts.rejected += 1;
    sendJson(res, status, { code, msg });
  }

  #blobError(res: ServerResponse, status: number, code: string, message: string): void {
    this.counts.rejected += 1;
    send(res, status, blobErrorBody(code, message), {
      "content-type": "application/xml",
      "x-ms-error-code": code,
    });
  }

  #sendFault(res: ServerResponse, fault: CacheFault, blob: boolean): void {
    this.counts.rejected += 1;
    const headers = fault.headers ?? {};
    if (fault.body !== undefined) {
      const type = /^\s*[{[]/.test(fault.body) ? "application/json" : blob ? "application/xml" : "text/plain";
      send(res, fault.status, fault.body, { "content-type": type, ...headers });
    } else if (blob) {
      const code = BLOB_CODE_BY_STATUS[fault.status] ?? `Status${fault.status}`;
      const body = blobErrorBody(code, `injected fault: HTTP ${fault.status}`);
      send(res, fault.status, body, {
        "content-type": "application/xml",
        "x-ms-error-code": code,
        ...headers,
      });
    } else {
      const code = TWIRP_CODE_BY_STATUS[fault.status] ?? "unknown";
      sendJson(res, fault.status, { code, msg: `injected fault: HTTP ${fault.status}` }, headers);
    }
  }

  #onTwirp(req: IncomingMessage, method: string, raw: Buffer, res: ServerResponse): void {
    const op = TWIRP_OPS[method];
    if (op === undefined || req.method !== "POST") {
      this.#twirpError(
        res,
        404,
        "bad_route",
        `no handler for ${req.method ?? "?"} ${TWIRP_SERVICE_PATH}${method}`,
      );
      return;
    }
    this.counts[op] += 1;
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      this.#twirpError(res, 401, "unauthenticated", "missing or invalid bearer token");
      return;
    }
    const fault = this.#takeFault(op);
    if (fault !== undefined) {
      this.#sendFault(res, fault, false);
      return;
    }
    if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
      this.#twirpError(
        res,
        404,
        "bad_route",
        `unexpected Content-Type: ${req.headers["content-type"] ?? ""}`,
      );
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      this.#twirpError(res, 400, "malformed", "the json request could not be decoded");
      return;
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      this.#twirpError(res, 400, "malformed", "the json request is not an object");
      return;
    }
    const request = body as Json;
    if (op === "create") this.#create(request, res);
    else if (op === "finalize") this.#finalize(request, res);
    else this.#lookup(request, res);
  }

  #keyAndVersion(body: Json, res: ServerResponse): { key: string; version: string } | undefined {
    const key = stringField(body, "key");
    const version = stringField(body, "version");
    if (!key || !version) {
      this.#twirpError(res, 400, "invalid_argument", "key and version are required");
      return undefined;
    }
    if (key.length > MAX_KEY_LENGTH || key.includes(",")) {
      this.#twirpError(res, 400, "invalid_argument", "key must be at most 512 characters without commas");
      return undefined;
    }
    return { key, version };
  }

  #create(body: Json, res: ServerResponse): void {
    const kv = this.#keyAndVersion(body, res);
    if (kv === undefined) return;
    if (this.readOnly) {
      this.counts.rejected += 1;
      sendJson(res, 200, { ok: false, message: WRITE_DENIED_MESSAGE });
      return;
    }
    if (this.entries.some((e) => e.key === kv.key && e.version === kv.version)) {
      this.#twirpError(res, 409, "already_exists", ALREADY_EXISTS_MESSAGE);
      return;
    }
    // Date.now() can repeat within a millisecond; "newest" needs a strict order.
    this.#lastCreatedAt = Math.max(Date.now(), this.#lastCreatedAt + 1);
    const entry: CacheEntry = {
      key: kv.key,
      version: kv.version,
      size: 0,
      createdAt: this.#lastCreatedAt,
      finalized: false,
      id: this.#nextId++,
    };
    const blob: BlobState = { uploadSig: randomSig(), downloadSig: randomSig(), blocks: new Map() };
    this.entries.push(entry);
    this.#blobs.set(entry.id, blob);
    sendJson(res, 200, { ok: true, signed_upload_url: this.#blobUrl(entry.id, blob.uploadSig) });
  }

  #finalize(body: Json, res: ServerResponse): void {
    const kv = this.#keyAndVersion(body, res);
    if (kv === undefined) return;
    const size = integerField(body, "size_bytes", "sizeBytes");
    if (size === undefined) {
      this.#twirpError(res, 400, "invalid_argument", "size_bytes is required");
      return;
    }
    const same = this.entries.filter((e) => e.key === kv.key && e.version === kv.version);
    const entry = same.find((e) => !e.finalized);
    if (entry === undefined) {
      if (same.length > 0) this.#twirpError(res, 409, "already_exists", ALREADY_EXISTS_MESSAGE);
      else this.#twirpError(res, 404, "not_found", "cache entry not found");
      return;
    }
    if (entry.data === undefined || entry.data.length !== size) {
      const got = entry.data === undefined ? "nothing" : `${entry.data.length} bytes`;
      this.#twirpError(res, 400, "invalid_argument", `size_bytes ${size} does not match the upload (${got})`);
      return;
    }
    entry.size = size;
    entry.finalized = true;
    sendJson(res, 200, { ok: true, entry_id: String(entry.id) });
  }

  #lookup(body: Json, res: ServerResponse): void {
    const kv = this.#keyAndVersion(body, res);
    if (kv === undefined) return;
    const restoreKeys = stringListField(body, "restore_keys", "restoreKeys") ?? [];
    const entry = findEntry(this.entries, kv.version, [kv.key, ...restoreKeys]);
    const blob = entry === undefined ? undefined : this.#blobs.get(entry.id);
    if (entry === undefined || blob === undefined) {
      sendJson(res, 200, { ok: false });
      return;
    }
    sendJson(res, 200, {
      ok: true,
      signed_download_url: this.#blobUrl(entry.id, blob.downloadSig),
      matched_key: entry.key,
    });
  }

  #blobUrl(id: number, sig: string): string {
    return `${this.url}${BLOB_PATH.slice(1)}${id}?sv=2025-01-05&sr=b&sig=${sig}`;
  }

  #onBlob(req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse): void {
    const op: CacheOp | undefined =
      req.method === "PUT"
        ? "upload"
        : req.method === "GET" || req.method === "HEAD"
          ? "download"
          : undefined;
    if (op === undefined) {
      this.#blobError(res, 405, "UnsupportedHttpVerb", `${req.method ?? "?"} is not supported`);
      return;
    }
    this.counts[op] += 1;
    const fault = this.#takeFault(op);
    if (fault !== undefined) {
      this.#sendFault(res, fault, true);
      return;
    }
    const id = Number(url.pathname.slice(BLOB_PATH.length));
    const entry = this.entries.find((e) => e.id === id);
    const blob = this.#blobs.get(id);
    if (entry === undefined || blob === undefined) {
      this.#blobError(res, 404, "BlobNotFound", "The specified blob does not exist.");
      return;
    }
    const sig = url.searchParams.get("sig");
    if (op === "upload") {
      if (sig !== blob.uploadSig || entry.finalized) {
        this.#blobError(res, 403, "AuthenticationFailed", "The upload URL is not valid for this blob.");
        return;
      }
      this.#upload(req, url, body, entry, blob, res);
    } else {
      if (sig !== blob.downloadSig) {
        this.#blobError(res, 403, "AuthenticationFailed", "The download URL is not valid for this blob.");
        return;
      }
      this.#download(req, entry, res);
    }
  }

  #upload(
    req: IncomingMessage,
    url: URL,
    body: Buffer,
    entry: CacheEntry,
    blob: BlobState,
    res: ServerResponse,
  ): void {
    const comp = url.searchParams.get("comp");
    if (comp === "block") {
      const blockId = url.searchParams.get("blockid");
      if (!blockId) {
        this.#blobError(res, 400, "InvalidQueryParameterValue", "blockid is required");
        return;
      }
      blob.blocks.set(blockId, body);
      this.counts.uploadedBytes += body.length;
    } else if (comp === "blocklist") {
      const ids = [...body.toString("utf8").matchAll(/<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>/g)].map(
        (m) => m[2] ?? "",
      );
      const blocks = ids.map((blockId) => blob.blocks.get(blockId));
      if (ids.length === 0 || blocks.some((b) => b === undefined)) {
        this.#blobError(res, 400, "InvalidBlockList", "The specified block list is invalid.");
        return;
      }
      entry.data = Buffer.concat(blocks.filter((b) => b !== undefined));
      blob.blocks.clear();
    } else if (comp === null) {
      if (req.headers["x-ms-blob-type"] !== "BlockBlob") {
        this.#blobError(res, 400, "MissingRequiredHeader", "x-ms-blob-type: BlockBlob is required");
        return;
      }
      entry.data = body;
      this.counts.uploadedBytes += body.length;
    } else {
      this.#blobError(res, 400, "InvalidQueryParameterValue", `comp=${comp} is not supported`);
      return;
    }
    send(res, 201, "", {
      etag: `"0x${entry.id.toString(16).padStart(16, "0")}"`,
      "last-modified": new Date().toUTCString(),
      "x-ms-request-id": randomSig(),
      "x-ms-version": String(req.headers["x-ms-version"] ?? "2025-01-05"),
      "x-ms-request-server-encrypted": "true",
    });
  }

  #download(req: IncomingMessage, entry: CacheEntry, res: ServerResponse): void {
    const data = entry.data;
    if (!entry.finalized || data === undefined) {
      this.#blobError(res, 404, "BlobNotFound", "The specified blob does not exist.");
      return;
    }
    const headers: Record<string, string> = {
      "content-type": "application/octet-stream",
      "accept-ranges": "bytes",
      "x-ms-blob-type": "BlockBlob",
      etag: `"0x${entry.id.toString(16).padStart(16, "0")}"`,
    };
    let status = 200;
    let slice = data;
    const range = req.headers.range;
    if (range !== undefined) {
      const match = /^bytes=(\d+)-(\d*)$/.exec(range);
      const start = Number(match?.[1] ?? Number.NaN);
      const end = match?.[2] ? Math.min(Number(match[2]), data.length - 1) : data.length - 1;
      if (!match || start > end) {
        this.#blobError(res, 416, "InvalidRange", "The range specified is invalid for the current size.");
        return;
      }
      status = 206;
      slice = data.subarray(start, end + 1);
      headers["content-range"] = `bytes ${start}-${end}/${data.length}`;
    }
    if (req.method === "HEAD") {
      res.writeHead(status, { ...headers, "content-length": String(slice.length) });
      res.end();
      return;
    }
    this.counts.downloadedBytes += slice.length;
    send(res, status, slice, headers);
  }

  #restError(res: ServerResponse, status: number, message: string): void {
    this.counts.rejected += 1;
    sendJson(res, status, {
      message,
      documentation_url: "https://docs.github.com/rest/actions/cache",
      status: String(status),
    });
  }

  #onRest(req: IncomingMessage, url: URL, res: ServerResponse): void {
    const base = `/repos/${this.repository}/actions/caches`;
    const id = url.pathname.startsWith(`${base}/`) ? Number(url.pathname.slice(base.length + 1)) : undefined;
    const op: CacheOp | undefined =
      url.pathname === base && req.method === "GET"
        ? "list"
        : req.method === "DELETE" && (url.pathname === base || Number.isSafeInteger(id))
          ? "delete"
          : undefined;
    if (op === undefined) {
      this.#restError(res, 404, "Not Found");
      return;
    }
    this.counts[op] += 1;
    const token = /^(?:Bearer|token) (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const permission = this.#apiTokens.get(token);
    const fault = permission === undefined ? undefined : this.#takeFault(op);
    if (permission === undefined) this.#restError(res, 401, "Bad credentials");
    else if (fault !== undefined) this.#sendFault(res, fault, false);
    else if (permission === "none" || (op === "delete" && permission !== "write")) {
      this.#restError(res, 403, "Resource not accessible by integration");
    } else if (op === "list") this.#list(url, res);
    else this.#delete(url, id, res);
  }

  #delete(url: URL, id: number | undefined, res: ServerResponse): void {
    const removed =
      id === undefined
        ? this.#remove((e) => e.finalized && e.key === url.searchParams.get("key"))
        : this.#remove((e) => e.finalized && e.id === id);
    if (removed.length === 0) this.#restError(res, 404, "Not Found");
    else if (id !== undefined) res.writeHead(204).end();
    else sendJson(res, 200, { total_count: removed.length, actions_caches: removed.map(restView) });
  }

  #list(url: URL, res: ServerResponse): void {
    const prefix = url.searchParams.get("key") ?? "";
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page") ?? 30) || 30));
    const page = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1);
    const matching = this.entries
      .filter((e) => e.finalized && e.key.startsWith(prefix))
      .sort((a, b) => b.createdAt - a.createdAt);
    sendJson(res, 200, {
      total_count: matching.length,
      actions_caches: matching.slice((page - 1) * perPage, page * perPage).map(restView),
    });
  }
}

/** An entry as the REST API shows it. */
function restView(e: CacheEntry): Json {
  const at = new Date(e.createdAt).toISOString();
  return {
    id: e.id,
    ref: "refs/heads/main",
    key: e.key,
    version: e.version,
    last_accessed_at: at,
    created_at: at,
    size_in_bytes: e.size,
  };
}

function randomSig(): string {
  return randomBytes(16).toString("hex");
}

/** GitHub's matching: for each key in order, an exact match, else the newest entry with that prefix. */
function findEntry(
  entries: readonly CacheEntry[],
  version: string,
  keys: readonly string[],
): CacheEntry | undefined {
  const candidates = entries.filter((e) => e.finalized && e.version === version);
  for (const key of keys) {
    const exact = candidates.find((e) => e.key === key);
    if (exact !== undefined) return exact;
    let newest: CacheEntry | undefined;
    for (const e of candidates) {
      if (e.key.startsWith(key) && (newest === undefined || e.createdAt > newest.createdAt)) newest = e;
    }
    if (newest !== undefined) return newest;
  }
  return undefined;
}

export async function startFakeCacheService(opts: { token?: string } = {}): Promise<FakeCacheService> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return new FakeCacheServer(server, `http://127.0.0.1:${port}/`, opts.token ?? randomSig());
}
