/**
 * Write denial, cache modes, tokens and validation: which of these make the real client return a
 * "not saved"/"not found" value, and which throw.
 */
import { join } from "node:path";
import { restoreCache, saveCache } from "@actions/cache";
import { beforeEach, describe, expect, it } from "vitest";
import { WRITE_DENIED_MESSAGE } from "../cache-service.ts";
import {
  capture,
  captureSettled,
  linesOf,
  readTree,
  wipeContents,
  withFakeCache,
  writeTree,
} from "./harness.ts";

const fake = withFakeCache();

let paths: string[];

beforeEach(async () => {
  paths = [join(fake.env.workspace, "state")];
  await writeTree(fake.env.workspace, { "state/checkpoint.json": '{"page":2}' });
});

async function restoredFile(): Promise<string | undefined> {
  return (await readTree(fake.env.workspace)).get(join("state", "checkpoint.json"))?.toString("utf8");
}

describe("read-only token (untrusted trigger)", () => {
  it("save returns -1 with a 'cache write denied' warning; restore still works", async () => {
    expect((await capture(() => saveCache(paths, "ro-1"))).value).toBeGreaterThan(0);
    fake.service.readOnly = true;

    const saved = await capture(() => saveCache(paths, "ro-2"));

    expect(saved.value).toBe(-1);
    expect(linesOf(saved, "warning")).toEqual([
      `Failed to save: Unable to reserve cache with key ro-2. More details: ${WRITE_DENIED_MESSAGE}`,
    ]);
    expect(fake.service.counts).toMatchObject({ create: 2, upload: 1, finalize: 1, rejected: 1 });
    expect(fake.service.entries.map((e) => e.key)).toEqual(["ro-1"]);

    await wipeContents(fake.env.workspace);
    expect((await capture(() => restoreCache(paths, "ro-"))).value).toBe("ro-1");
    expect(await restoredFile()).toBe('{"page":2}');
  });
});

describe("ACTIONS_CACHE_MODE (read by @actions/cache 6.3 at call time)", () => {
  it("read: save is skipped without a request and returns -1; restore works", async () => {
    expect((await capture(() => saveCache(paths, "m-1"))).value).toBeGreaterThan(0);
    process.env.ACTIONS_CACHE_MODE = "read";

    const saved = await capture(() => saveCache(paths, "m-2"));

    expect(saved.value).toBe(-1);
    expect(linesOf(saved, "info")).toContain(
      "Cache save skipped: the effective cache-mode 'read' does not permit writes.",
    );
    expect(linesOf(saved, "warning")).toEqual([]);
    expect(fake.service.counts.create).toBe(1);

    await wipeContents(fake.env.workspace);
    expect((await capture(() => restoreCache(paths, "m-"))).value).toBe("m-1");
  });

  it("none: restore is skipped without a request and returns undefined", async () => {
    expect((await capture(() => saveCache(paths, "m-1"))).value).toBeGreaterThan(0);
    process.env.ACTIONS_CACHE_MODE = "none";
    await wipeContents(fake.env.workspace);

    const restored = await capture(() => restoreCache(paths, "m-1"));

    expect(restored.value).toBeUndefined();
    expect(linesOf(restored, "info")).toContain(
      "Cache restore skipped: the effective cache-mode 'none' does not permit reads.",
    );
    expect(fake.service.counts.lookup).toBe(0);
    expect(await restoredFile()).toBeUndefined();
  });
});

describe("runtime token", () => {
  it("a wrong token (401): save returns -1 (info), restore returns undefined (warning)", async () => {
    process.env.ACTIONS_RUNTIME_TOKEN = "not-the-token";

    const saved = await capture(() => saveCache(paths, "t-1"));
    const restored = await capture(() => restoreCache(paths, "t-1"));

    expect(saved.value).toBe(-1);
    expect(linesOf(saved, "info")).toContain(
      "Failed to save: Unable to reserve cache with key t-1, another job may be creating this cache.",
    );
    expect(linesOf(saved, "debug").join("\n")).toContain(
      "(401) Unauthorized: missing or invalid bearer token",
    );
    expect(restored.value).toBeUndefined();
    expect(linesOf(restored, "warning")).toEqual([
      "Failed to restore: Failed to GetCacheEntryDownloadURL: Received non-retryable error: " +
        "Failed request: (401) Unauthorized: missing or invalid bearer token",
    ]);
    expect(fake.service.counts).toMatchObject({ create: 1, lookup: 1, rejected: 2 });
  });

  it("a missing ACTIONS_RUNTIME_TOKEN makes saveCache throw, restoreCache only warn", async () => {
    delete process.env.ACTIONS_RUNTIME_TOKEN;

    const saved = await captureSettled(() => saveCache(paths, "t-1"));
    const restored = await captureSettled(() => restoreCache(paths, "t-1"));

    expect(saved.value).toMatchObject({
      ok: false,
      error: { message: "Unable to get the ACTIONS_RUNTIME_TOKEN env variable" },
    });
    expect(restored.value).toEqual({ ok: true, value: undefined });
    expect(linesOf(restored, "warning")).toEqual([
      "Failed to restore: Unable to get the ACTIONS_RUNTIME_TOKEN env variable",
    ]);
    expect(fake.service.counts.create + fake.service.counts.lookup).toBe(0);
  });
});

describe("validation errors are thrown, not logged", () => {
  it("a key with a comma or over 512 characters throws from both calls", async () => {
    const results = [
      await captureSettled(() => saveCache(paths, "a,b")),
      await captureSettled(() => restoreCache(paths, "ok", ["a,b"])),
      await captureSettled(() => saveCache(paths, "k".repeat(513))),
    ];
    for (const result of results) {
      expect(result.value).toMatchObject({ ok: false, error: { name: "ValidationError" } });
    }
    expect(fake.service.counts.create + fake.service.counts.lookup).toBe(0);
  });

  it("more than 10 keys in a restore throws", async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `r-${i}`);
    const restored = await captureSettled(() => restoreCache(paths, "p", keys));
    expect(restored.value).toMatchObject({
      ok: false,
      error: { message: "Key Validation Error: Keys are limited to a maximum of 10." },
    });
  });

  it("paths that match nothing make saveCache throw", async () => {
    const missing = [join(fake.env.workspace, "does-not-exist")];
    const saved = await captureSettled(() => saveCache(missing, "x-1"));
    expect(saved.value).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining("Path Validation Error") },
    });
    expect(fake.service.counts.create).toBe(0);
  });
});
