import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CacheApi } from "../../src/action/cache.ts";
import { cacheKeys } from "../../src/action/keys.ts";
import type { Checkpoint } from "../../src/engine/checkpoint.ts";
import { CacheSyncedStore } from "../../src/stores/cache-store.ts";
import { FileCheckpointStore } from "../../src/stores/file-store.ts";

/** A CacheApi that records what would be uploaded; the real one is exercised in test/action. */
function recordingCache(stored = true) {
  const saves: { key: string; checkpoint: string }[] = [];
  const api: CacheApi & { saves: typeof saves } = {
    saves,
    available: () => true,
    restore: async () => undefined,
    save: async (paths, key) => {
      saves.push({ key, checkpoint: readFileSync(paths[0] as string, "utf8") });
      return stored;
    },
  };
  return api;
}

const checkpoint = (pages: number): Checkpoint => ({
  version: 1,
  fingerprint: "f",
  nextToken: `t${pages}`,
  processedCount: pages * 10,
  pages,
  timestamp: "2026-11-26T00:00:00.000Z",
  startedAt: "2026-11-26T00:00:00.000Z",
  request: { scope: "organization", region: "us-east-1", filter: {}, pageSize: 10, details: "none" },
  output: { path: "out", bytes: pages * 100 },
});

function setup(intervalMs: number, stored = true) {
  const dir = mkdtempSync(join(tmpdir(), "cache-store-"));
  const path = join(dir, "cp.json");
  writeFileSync(join(dir, "out"), "x");
  let now = 0;
  const cache = recordingCache(stored);
  const keys = cacheKeys("hb", { job: "j", runId: "7", attempt: 2 }, "f");
  const store = new CacheSyncedStore(new FileCheckpointStore(path), {
    cache,
    keys,
    paths: [path, join(dir, "out")],
    intervalMs,
    clock: () => now,
    warn: () => {},
  });
  return { store, cache, path, tick: (ms: number) => (now += ms) };
}

describe("the cache-synced checkpoint store", () => {
  it("uploads at most once per interval, with a new key each time, and flushes the newest on demand", async () => {
    const { store, cache, tick } = setup(30_000);
    for (let page = 1; page <= 10; page++) {
      await store.save(checkpoint(page));
      tick(5_000);
    }
    expect(cache.saves.map((s) => s.key)).toEqual(["hb-j-f-7-2-000001", "hb-j-f-7-2-000002"]);
    expect(JSON.parse(cache.saves[1]?.checkpoint ?? "").pages).toBe(7);
    await store.flush();
    expect(cache.saves.map((s) => JSON.parse(s.checkpoint).pages)).toEqual([1, 7, 10]);
    await store.flush(); // nothing new: no upload
    expect(cache.saves).toHaveLength(3);
    expect(store.lastKey).toBe("hb-j-f-7-2-000003");
  });

  it("keeps a checkpoint that failed to upload pending, so the final flush retries it", async () => {
    const { store, cache } = setup(0, false);
    await store.save(checkpoint(1));
    await store.flush();
    expect(cache.saves).toHaveLength(2);
    expect(store.uploads).toBe(0);
    expect(store.failedUploads).toBe(2);
  });

  it("marks completion with a marker entry and leaves no local checkpoint", async () => {
    const { store, cache, path } = setup(0);
    await store.save(checkpoint(1));
    await store.clear();
    expect(await store.markComplete(10, 1)).toBe(true);
    expect(JSON.parse(cache.saves.at(-1)?.checkpoint ?? "")).toMatchObject({
      complete: true,
      events: 10,
      pages: 1,
    });
    expect(existsSync(path)).toBe(false);
  });
});
