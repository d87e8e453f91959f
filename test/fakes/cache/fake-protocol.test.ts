/**
 * The fake's own protocol, spoken directly with fetch: the parts the real client does not reach in
 * the other tests (errors it never provokes, the block upload used above 128 MiB, fault queues).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ALREADY_EXISTS_MESSAGE,
  type FakeCacheService,
  startFakeCacheService,
  TWIRP_SERVICE_PATH,
} from "../cache-service.ts";

let service: FakeCacheService;

beforeEach(async () => {
  service = await startFakeCacheService({ token: "test-token" });
});

afterEach(async () => {
  await service.close();
});

function twirp(method: string, body: unknown, init: { token?: string; contentType?: string } = {}) {
  return fetch(new URL(TWIRP_SERVICE_PATH.slice(1) + method, service.url), {
    method: "POST",
    headers: {
      authorization: `Bearer ${init.token ?? service.token}`,
      "content-type": init.contentType ?? "application/json",
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function json(response: Response): Promise<unknown> {
  expect(response.headers.get("content-type")).toBe("application/json");
  return response.json();
}

async function create(key: string, version = "v1"): Promise<string> {
  const answer = (await json(await twirp("CreateCacheEntry", { key, version }))) as {
    signed_upload_url: string;
  };
  return answer.signed_upload_url;
}

function put(url: string, body: string, headers: Record<string, string> = { "x-ms-blob-type": "BlockBlob" }) {
  return fetch(url, { method: "PUT", headers, body });
}

describe("Twirp surface", () => {
  it("answers every error as Twirp JSON with the matching status", async () => {
    const unauthenticated = await twirp(
      "GetCacheEntryDownloadURL",
      { key: "k", version: "v" },
      { token: "x" },
    );
    expect(unauthenticated.status).toBe(401);
    expect(await json(unauthenticated)).toEqual({
      code: "unauthenticated",
      msg: "missing or invalid bearer token",
    });

    const badRoute = await twirp("DeleteCacheEntry", {});
    expect(badRoute.status).toBe(404);
    expect(await json(badRoute)).toMatchObject({ code: "bad_route" });

    const get = await fetch(new URL(`${TWIRP_SERVICE_PATH.slice(1)}CreateCacheEntry`, service.url));
    expect(get.status).toBe(404);
    expect(await json(get)).toMatchObject({ code: "bad_route" });

    const malformed = await twirp("CreateCacheEntry", "{not json");
    expect(malformed.status).toBe(400);
    expect(await json(malformed)).toMatchObject({ code: "malformed" });

    const missingVersion = await twirp("CreateCacheEntry", { key: "k" });
    expect(missingVersion.status).toBe(400);
    expect(await json(missingVersion)).toMatchObject({ code: "invalid_argument" });

    const protobuf = await twirp("CreateCacheEntry", "", { contentType: "application/protobuf" });
    expect(protobuf.status).toBe(404);

    expect(service.counts.rejected).toBe(6);
    expect(service.entries).toEqual([]);
  });

  it("a miss is HTTP 200 with ok: false", async () => {
    const miss = await twirp("GetCacheEntryDownloadURL", {
      key: "nothing",
      restore_keys: ["no-"],
      version: "v1",
    });
    expect(miss.status).toBe(200);
    expect(await json(miss)).toEqual({ ok: false });
    expect(service.counts).toMatchObject({ lookup: 1, rejected: 0 });
  });

  it("lookups see finalized entries only", async () => {
    const upload = await create("pending");
    expect((await put(upload, "data")).status).toBe(201);
    const lookup = () => twirp("GetCacheEntryDownloadURL", { key: "pending", version: "v1" }).then(json);
    expect(await lookup()).toEqual({ ok: false });
    await twirp("FinalizeCacheEntryUpload", { key: "pending", size_bytes: "4", version: "v1" });
    expect(await lookup()).toMatchObject({ ok: true, matched_key: "pending" });
  });

  it("keys are immutable per version; another version is another entry", async () => {
    await create("k");
    const again = await twirp("CreateCacheEntry", { key: "k", version: "v1" });
    expect(again.status).toBe(409);
    expect(await json(again)).toEqual({ code: "already_exists", msg: ALREADY_EXISTS_MESSAGE });
    await create("k", "v2");
    expect(service.entries.map((e) => [e.key, e.version])).toEqual([
      ["k", "v1"],
      ["k", "v2"],
    ]);
  });

  it("createdAt strictly increases even for entries created in the same millisecond", async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => create(`same-ms-${i}`)));
    const times = service.entries.map((e) => e.createdAt);
    expect(new Set(times).size).toBe(20);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("read-only refuses creation with 200 ok: false and the 'cache write denied:' prefix", async () => {
    service.readOnly = true;
    const refused = await twirp("CreateCacheEntry", { key: "k", version: "v1" });
    expect(refused.status).toBe(200);
    expect(await json(refused)).toEqual({
      ok: false,
      message: "cache write denied: token has no writable scopes",
    });
    expect(service.counts.rejected).toBe(1);
  });
});

describe("blob surface", () => {
  it("supports the staged-block upload (comp=block + comp=blocklist) and ranged downloads", async () => {
    const upload = await create("big");
    const block = (id: string) => `${upload}&comp=block&blockid=${encodeURIComponent(id)}`;
    expect((await put(block("YQ=="), "hello ", {})).status).toBe(201);
    expect((await put(block("Yg=="), "world", {})).status).toBe(201);
    const list =
      '<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>YQ==</Latest><Latest>Yg==</Latest></BlockList>';
    expect((await put(`${upload}&comp=blocklist`, list, {})).status).toBe(201);

    const finalize = await twirp("FinalizeCacheEntryUpload", { key: "big", size_bytes: "11", version: "v1" });
    expect(await json(finalize)).toEqual({ ok: true, entry_id: "1" });
    const lookup = (await json(await twirp("GetCacheEntryDownloadURL", { key: "bi", version: "v1" }))) as {
      signed_download_url: string;
      matched_key: string;
    };
    expect(lookup.matched_key).toBe("big");

    const whole = await fetch(lookup.signed_download_url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-length")).toBe("11");
    expect(await whole.text()).toBe("hello world");
    const part = await fetch(lookup.signed_download_url, { headers: { range: "bytes=6-" } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe("world");
    expect(service.counts).toMatchObject({ upload: 3, uploadedBytes: 11, download: 2, downloadedBytes: 16 });
  });

  it("checks the blob type header, the signature, the size and the entry state", async () => {
    const upload = await create("k");
    expect((await put(upload, "data", {})).status).toBe(400); // no x-ms-blob-type
    expect((await put(upload.replace(/sig=[0-9a-f]+/, "sig=forged"), "data")).status).toBe(403);

    // Finalize needs the uploaded bytes and their exact size.
    const early = await twirp("FinalizeCacheEntryUpload", { key: "k", size_bytes: "4", version: "v1" });
    expect(early.status).toBe(400);
    expect((await put(upload, "data")).status).toBe(201);
    const wrongSize = await twirp("FinalizeCacheEntryUpload", { key: "k", size_bytes: "5", version: "v1" });
    expect(wrongSize.status).toBe(400);
    const unknown = await twirp("FinalizeCacheEntryUpload", { key: "other", size_bytes: "4", version: "v1" });
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toMatchObject({ code: "not_found" });
    const ok = await twirp("FinalizeCacheEntryUpload", { key: "k", size_bytes: "4", version: "v1" });
    expect(await json(ok)).toEqual({ ok: true, entry_id: "1" });

    // A finalized entry can no longer be written, and its upload URL does not download it.
    expect((await put(upload, "new data")).status).toBe(403);
    expect((await fetch(upload)).status).toBe(403);
    expect(service.entries[0]?.data?.toString()).toBe("data");
  });

  it("answers blob faults as Azure XML errors", async () => {
    const upload = await create("k");
    service.fail("upload", { status: 503, times: 1 });
    const fault = await put(upload, "data");
    expect(fault.status).toBe(503);
    expect(fault.headers.get("x-ms-error-code")).toBe("ServerBusy");
    expect(await fault.text()).toContain("<Code>ServerBusy</Code>");
    expect((await put(upload, "data")).status).toBe(201);
  });
});

describe("fault injection", () => {
  it("consumes faults in order, each for its number of calls, and counts every call", async () => {
    service.fail("lookup", { status: 503, times: 2 });
    service.fail("lookup", {
      status: 429,
      times: 1,
      body: '{"code":"resource_exhausted","msg":"slow down"}',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await twirp("GetCacheEntryDownloadURL", { key: "k", version: "v1" });
      statuses.push(response.status);
      await json(response);
    }
    expect(statuses).toEqual([503, 503, 429, 200]);
    expect(service.counts).toMatchObject({ lookup: 4, rejected: 3 });
  });

  it("Infinity keeps failing; faults apply only to their operation", async () => {
    service.fail("create", { status: 500, times: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 3; i++) {
      expect((await twirp("CreateCacheEntry", { key: `k${i}`, version: "v1" })).status).toBe(500);
    }
    expect((await twirp("GetCacheEntryDownloadURL", { key: "k", version: "v1" })).status).toBe(200);
  });

  it("rejects a fault that is not an error status or has no calls", () => {
    expect(() => service.fail("create", { status: 200, times: 1 })).toThrow(RangeError);
    expect(() => service.fail("create", { status: 500, times: 0 })).toThrow(RangeError);
    expect(() => service.fail("create", { status: 500, times: 1.5 })).toThrow(RangeError);
  });
});

describe("close", () => {
  it("ends promptly with an idle keep-alive connection open, and twice is fine", async () => {
    const response = await fetch(service.url, { keepalive: true });
    await response.text();
    const started = performance.now();
    await service.close();
    await service.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(fetch(service.url)).rejects.toThrow();
  });
});
