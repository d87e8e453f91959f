import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import {
  chainHash,
  EMPTY_SHA256,
  entryDir,
  entryFiles,
  type SegmentList,
} from "../../src/action/cache/entry.ts";
import { cacheKeys } from "../../src/action/cache/keys.ts";
import { CacheSyncedStore } from "../../src/action/cache/store.ts";
import type { Checkpoint } from "../../src/engine/checkpoint.ts";
import { FileCheckpointStore } from "../../src/local/checkpoint-file.ts";
import { MemoryCache } from "../fakes/memory-cache.ts";

let dir: string;
let output: string;
let now: number;
let logged: { info: string[]; warning: string[]; debug: string[] };
let pages: number;

const CTX = {
  job: "j",
  runId: "7",
  attempt: 2,
  repository: "o/r",
  apiUrl: "http://x",
  workflow: undefined,
  workspace: undefined,
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cache-store-"));
  output = join(dir, "out.ndjson");
  writeFileSync(output, "");
  now = 0;
  pages = 0;
  logged = { info: [], warning: [], debug: [] };
});

function setup(intervalMs: number, cache = new MemoryCache()) {
  const keys = cacheKeys("hb", { ...CTX, runnerTemp: join(dir, "temp") }, "null", "f");
  const files = entryFiles(entryDir(join(dir, "temp"), keys.run));
  const store = new CacheSyncedStore(new FileCheckpointStore(join(dir, "cp.json")), {
    cache,
    keys,
    files,
    output,
    intervalMs,
    clock: () => now,
    log: {
      info: (m) => logged.info.push(m),
      warning: (m) => logged.warning.push(m),
      debug: (m) => logged.debug.push(m),
    },
  });
  return { store, cache, files, keys };
}

/** Appends one page of `events` lines to the output, as the sink does; returns its checkpoint. */
function page(events = 3): Checkpoint {
  pages += 1;
  for (let i = 0; i < events; i++)
    appendFileSync(output, `{"arn":"p${pages}e${i}","pad":"${"x".repeat(pages * 7)}"}\n`);
  return {
    version: 2,
    fingerprint: "f",
    nextToken: `t${pages}`,
    processedCount: pages * events,
    pages,
    timestamp: "2026-11-26T00:00:00.000Z",
    startedAt: "2026-11-26T00:00:00.000Z",
    request: { scope: "organization", region: "us-east-1", filter: {}, pageSize: 10, details: "none" },
    output: { path: output, bytes: statSync(output).size, lastArn: `p${pages}e${events - 1}` },
  };
}

function opened(): { gate: Promise<void>; open: () => void } {
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { gate, open };
}

/** An entry's checkpoint document and segment bytes. */
function entryOf(cache: MemoryCache, files: ReturnType<typeof setup>["files"], key: string) {
  const stored = cache.files(key);
  const doc = JSON.parse(stored.get(files.checkpoint)?.toString("utf8") ?? "") as Checkpoint & {
    segments: SegmentList;
  };
  return { doc, segment: stored.get(files.segment) ?? Buffer.alloc(0) };
}

describe("the cache-synced checkpoint store", () => {
  it("never makes the backfill wait: saves return while an upload is in flight, and the newest checkpoint replaces the one waiting", async () => {
    const { store, cache } = setup(0);
    const slow = opened();
    cache.gate = slow.gate;
    for (let n = 0; n < 10; n++) await store.save(page()); // resolves although no upload finished
    expect(cache.saves).toHaveLength(1);
    slow.open();
    await store.flush();
    expect(cache.maxInFlight).toBe(1);
    expect(
      cache.entries.map((e) => JSON.parse(e.files.values().next().value?.toString() ?? "").pages),
    ).toEqual([1, 10]);
    expect(store.stats).toMatchObject({ uploads: 2, failed: 0 });
  });

  it("uploads each output byte once: an entry holds the checkpoint and the bytes since the previous stored upload", async () => {
    const { store, cache, files } = setup(0);
    for (let n = 0; n < 12; n++) {
      await store.save(page(1 + (n % 4)));
      if (n % 3 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await store.flush();
    const whole = readFileSync(output);
    const segments = cache.entries.map((e) => e.files.get(files.segment) ?? Buffer.alloc(0));
    expect(Buffer.concat(segments).equals(whole)).toBe(true);
    // Each entry records its own segment and the one before it; the newest checkpoint's list is the
    // whole chain (count and hash), of constant size however many uploads came before.
    const docs = cache.entries.map((e) => entryOf(cache, files, e.key).doc);
    const records = docs.map((d) => d.segments.last);
    expect(records.map((r) => r?.key)).toEqual(cache.entries.map((e) => e.key));
    expect(records.map((r) => r?.previous)).toEqual([
      undefined,
      ...cache.entries.slice(0, -1).map((e) => e.key),
    ]);
    expect(records.map((r) => r?.bytes)).toEqual(segments.map((s) => s.length));
    const last = docs.at(-1);
    expect(last?.output.bytes).toBe(whole.length);
    expect(last?.segments).toMatchObject({ count: cache.entries.length });
    expect(last?.segments.sha256).toBe(records.reduce((h, r) => (r ? chainHash(h, r) : h), EMPTY_SHA256));
    const sizes = cache.entries.map((e) => e.files.get(files.checkpoint)?.length ?? 0);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(200);
    expect(store.stats.outputBytes).toBe(whole.length);
    expect(logged.info).toHaveLength(cache.entries.length); // one line per stored upload
    expect(logged.info[0]).toMatch(
      /^Cached page 1: .* kB of new output, .* kB sent \(hb-j-null-f-7-2-000001\)$/,
    );
  });

  it("an upload holds exactly its checkpoint's bytes, though pages are appended while it waits", async () => {
    const { store, cache, files } = setup(0);
    const slow = opened();
    cache.gate = slow.gate;
    const first = page();
    await store.save(first);
    const second = page();
    await store.save(second);
    page(); // written, not checkpointed yet when the upload reads the output
    slow.open();
    await store.flush();
    const [a, b] = cache.entries.map((e) => entryOf(cache, files, e.key));
    const whole = readFileSync(output);
    expect(a?.segment.equals(whole.subarray(0, first.output.bytes))).toBe(true);
    expect(b?.doc.output.bytes).toBe(second.output.bytes);
    expect(b?.segment.equals(whole.subarray(first.output.bytes, second.output.bytes))).toBe(true);
  });

  it("a failed upload is retried once by the flush; its bytes go with the next stored upload", async () => {
    const { store, cache, files } = setup(0);
    cache.refuse = "rate limited (429)";
    await store.save(page());
    await store.save(page());
    await store.flush();
    expect(cache.entries).toHaveLength(0);
    expect(store.stats.failed).toBeGreaterThanOrEqual(2);
    expect(store.cachedPages).toBe(0);
    // One warning per kind of failure, not one per page.
    expect(logged.warning).toEqual([
      "The Actions cache did not store page 1 (rate limited (429)); the next upload tries again.",
    ]);
    cache.refuse = undefined;
    await store.save(page());
    await store.flush();
    const { doc, segment } = entryOf(cache, files, cache.entries[0]?.key ?? "");
    expect(doc.pages).toBe(3);
    expect(segment.equals(readFileSync(output))).toBe(true);
    expect(doc.segments).toMatchObject({ count: 1, last: { bytes: segment.length } });
    expect(store.cachedPages).toBe(3);
  });

  it("uploads at most once per interval, and the flush sends the newest", async () => {
    const { store, cache } = setup(30_000);
    for (let n = 0; n < 10; n++) {
      await store.save(page());
      await new Promise((r) => setTimeout(r, 1));
      now += 5_000;
    }
    await store.flush();
    const uploaded = cache.entries.map(
      (e) => JSON.parse(e.files.values().next().value?.toString() ?? "").pages,
    );
    expect(uploaded).toEqual([1, 7, 10]);
    await store.flush(); // nothing new: no upload
    expect(cache.saves).toHaveLength(3);
  });

  it("completion waits for the upload in flight, then stores a marker without output as the newest entry", async () => {
    const { store, cache, files, keys } = setup(0);
    const slow = opened();
    cache.gate = slow.gate;
    await store.save(page());
    await store.save(page()); // waiting: dropped by the completion
    const done = store.complete(6, 2);
    slow.open();
    expect(await done).toBe(keys.upload(2));
    expect(cache.entries.map((e) => e.key)).toEqual([keys.upload(1), keys.upload(2)]);
    const marker = entryOf(cache, files, keys.upload(2));
    expect(marker.doc).toMatchObject({ version: 2, complete: true, events: 6, pages: 2 });
    expect(marker.segment.length).toBe(0);
  });
});
