import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { restoreCache, saveCache } from "@actions/cache";
import { describe, expect, it } from "vitest";
import { capture, linesOf, readTree, wipeContents, withFakeCache, writeTree } from "./harness.ts";

const fake = withFakeCache();

describe("save and restore through the real @actions/cache against the fake (v2)", () => {
  it("restores identical bytes by exact key into the wiped workspace", async () => {
    // Random bytes do not compress, so the archive size shows the content really travelled.
    const binary = randomBytes(256 * 1024);
    await writeTree(fake.env.workspace, {
      ".health-backfill/checkpoint.json": '{"page":3,"nextToken":"abc=="}\n',
      ".health-backfill/nested/deep.bin": binary,
      "out.ndjson": '{"a":1}\n{"a":2}\n',
      "not-cached.txt": "outside the cached paths",
    });
    const paths = [join(fake.env.workspace, ".health-backfill"), join(fake.env.workspace, "out.ndjson")];
    const before = await readTree(fake.env.workspace);

    const saved = await capture(() => saveCache(paths, "checkpoint-run1-attempt1"));
    expect(saved.value).toBeGreaterThan(0);
    expect(linesOf(saved, "warning")).toEqual([]);
    expect(linesOf(saved, "error")).toEqual([]);

    await wipeContents(fake.env.workspace);
    expect(await readTree(fake.env.workspace)).toEqual(new Map());

    const restored = await capture(() => restoreCache([...paths], "checkpoint-run1-attempt1"));
    expect(restored.value).toBe("checkpoint-run1-attempt1");
    expect(linesOf(restored, "info")).toContain("Cache hit for: checkpoint-run1-attempt1");
    expect(linesOf(restored, "info")).toContain("Cache restored successfully");

    const after = await readTree(fake.env.workspace);
    before.delete("not-cached.txt");
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [path, bytes] of before) {
      expect(after.get(path)?.equals(bytes), path).toBe(true);
    }
  });

  it("records the entry and the traffic: one create, one single-PUT upload, one finalize", async () => {
    await writeTree(fake.env.workspace, { "state/data.bin": randomBytes(64 * 1024) });
    const paths = [join(fake.env.workspace, "state")];

    const id = (await capture(() => saveCache(paths, "k-1"))).value;

    expect(fake.service.entries).toHaveLength(1);
    const entry = fake.service.entries[0];
    expect(entry).toMatchObject({ key: "k-1", id, finalized: true });
    expect(entry?.version).toMatch(/^[0-9a-f]{64}$/);
    expect(entry?.size).toBe(entry?.data?.length);
    // zstd archive magic number: the client found zstd and used it.
    expect(entry?.data?.subarray(0, 4).toString("hex")).toBe("28b52ffd");
    expect(fake.service.counts).toEqual({
      create: 1,
      finalize: 1,
      lookup: 0,
      upload: 1, // archives up to 128 MiB go up in one PUT (x-ms-blob-type: BlockBlob)
      download: 0,
      uploadedBytes: entry?.size,
      downloadedBytes: 0,
      list: 0,
      delete: 0,
      rejected: 0,
    });
    expect(fake.service.counts.uploadedBytes).toBeGreaterThan(64 * 1024);

    await wipeContents(fake.env.workspace);
    const hit = (await capture(() => restoreCache(paths, "k-1"))).value;
    expect(hit).toBe("k-1");
    expect(fake.service.counts).toMatchObject({
      lookup: 1,
      download: 1,
      downloadedBytes: entry?.size,
      rejected: 0,
    });
  });

  it("lookupOnly finds the key without downloading", async () => {
    await writeTree(fake.env.workspace, { "state/a.txt": "a" });
    const paths = [join(fake.env.workspace, "state")];
    await capture(() => saveCache(paths, "look-1"));
    await wipeContents(fake.env.workspace);

    const hit = (await capture(() => restoreCache(paths, "look-", [], { lookupOnly: true }))).value;

    expect(hit).toBe("look-1");
    expect(fake.service.counts.download).toBe(0);
    expect(await readTree(fake.env.workspace)).toEqual(new Map());
  });
});
