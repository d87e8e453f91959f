import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { restoreCache, saveCache } from "@actions/cache";
import { beforeEach, describe, expect, it } from "vitest";
import { capture, linesOf, readTree, wipeContents, withFakeCache, writeTree } from "./harness.ts";

const fake = withFakeCache();

let paths: string[];
let file: string;

beforeEach(async () => {
  file = join(fake.env.workspace, "state", "checkpoint.json");
  paths = [join(fake.env.workspace, "state")];
});

/** Saves `state/checkpoint.json` holding `content` (default: the key) under `key`. */
async function saveWith(key: string, content: string = key): Promise<number> {
  await writeTree(fake.env.workspace, { "state/checkpoint.json": content });
  return (await capture(() => saveCache([...paths], key))).value;
}

/** Restores into the wiped workspace; returns the matched key and the restored file (if any). */
async function restoreWith(primaryKey: string, restoreKeys: string[] = [], withPaths: string[] = paths) {
  await wipeContents(fake.env.workspace);
  const result = await capture(() => restoreCache([...withPaths], primaryKey, restoreKeys));
  const files = await readTree(fake.env.workspace);
  return {
    key: result.value,
    content: files.get(join("state", "checkpoint.json"))?.toString("utf8"),
    result,
  };
}

describe("key matching of GetCacheEntryDownloadURL, through the real client", () => {
  it("a prefix of the primary key restores the newest entry, not the first or the longest", async () => {
    for (const key of ["p-1-1", "p-1-2", "p-2-1"]) expect(await saveWith(key)).toBeGreaterThan(0);

    const hit = await restoreWith("p-");

    expect(hit.key).toBe("p-2-1");
    expect(hit.content).toBe("p-2-1");
    // The client reports a prefix hit of the primary key as a restore-key hit.
    expect(linesOf(hit.result, "info")).toContain("Cache hit for restore-key: p-2-1");
  });

  it("newest means created last, even when an older key sorts later", async () => {
    await saveWith("n-9");
    await saveWith("n-10");
    expect((await restoreWith("n-")).key).toBe("n-10");
  });

  it("an exact match of a key wins over a newer entry that only has it as a prefix", async () => {
    await saveWith("r-1");
    await saveWith("r-1-newer");
    const hit = await restoreWith("r-1");
    expect(hit.key).toBe("r-1");
    expect(hit.content).toBe("r-1");
  });

  it("falls back to the restore keys in order, exact then newest prefix", async () => {
    for (const key of ["p-1-1", "p-1-2", "p-2-1"]) await saveWith(key);

    expect((await restoreWith("q-none", ["p-1-"])).key).toBe("p-1-2");
    expect((await restoreWith("q-none", ["x-none", "p-1-1", "p-"])).key).toBe("p-1-1");
    const fallback = await restoreWith("q-none", ["x-none", "p-"]);
    expect(fallback.key).toBe("p-2-1");
    expect(fallback.content).toBe("p-2-1");
  });

  it("a miss returns undefined quietly and leaves the workspace alone", async () => {
    await saveWith("p-1-1");
    const miss = await restoreWith("zzz", ["yyy-"]);

    expect(miss.key).toBeUndefined();
    expect(miss.content).toBeUndefined();
    expect(linesOf(miss.result, "warning")).toEqual([]);
    expect(linesOf(miss.result, "error")).toEqual([]);
    expect(fake.service.counts).toMatchObject({ lookup: 1, download: 0, rejected: 0 });
  });

  it("a different path list is a different version and does not match", async () => {
    await saveWith("v-1");
    const otherPaths = [...paths, join(fake.env.workspace, "out.ndjson")];

    expect((await restoreWith("v-1", [], otherPaths)).key).toBeUndefined();
    // The same entry is found with the identical path strings (the control case).
    expect((await restoreWith("v-1", [], paths)).key).toBe("v-1");
    // Saving under the other paths creates a second entry with the same key and another version.
    await writeTree(fake.env.workspace, { "out.ndjson": "{}\n", "state/checkpoint.json": "other" });
    expect((await capture(() => saveCache(otherPaths, "v-1"))).value).toBeGreaterThan(0);
    const versions = fake.service.entries.filter((e) => e.key === "v-1").map((e) => e.version);
    expect(new Set(versions).size).toBe(2);
  });
});

describe("keys are immutable", () => {
  it("a second save with the same key returns -1 with an info line, and the first entry stays", async () => {
    const firstId = await saveWith("same-key", "first content");
    const firstEntry = fake.service.entries[0];
    const firstData = Buffer.from(firstEntry?.data ?? Buffer.alloc(0));
    await writeFile(file, "second content");

    const second = await capture(() => saveCache([...paths], "same-key"));

    expect(second.value).toBe(-1);
    expect(linesOf(second, "info")).toContain(
      "Failed to save: Unable to reserve cache with key same-key, another job may be creating this cache.",
    );
    expect(linesOf(second, "warning")).toEqual([]);
    expect(linesOf(second, "debug").join("\n")).toContain(
      "Failed to CreateCacheEntry: Received non-retryable error: Failed request: (409) Conflict: " +
        "cache entry with the same key, version, and scope already exists",
    );
    expect(fake.service.counts).toMatchObject({ create: 2, upload: 1, finalize: 1, rejected: 1 });
    expect(fake.service.entries).toHaveLength(1);
    expect(fake.service.entries[0]).toMatchObject({ id: firstId, finalized: true });
    expect(fake.service.entries[0]?.data?.equals(firstData)).toBe(true);

    const hit = await restoreWith("same-key");
    expect(hit.content).toBe("first content");
    expect(await readFile(file, "utf8")).toBe("first content");
  });
});
