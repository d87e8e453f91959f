import { createHash } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { type Chain, entryDir, entryFiles } from "../../src/action/cache/entry.ts";
import { cacheKeys, earlierReleaseRun } from "../../src/action/cache/keys.ts";
import { type RestoreOptions, restoreProgress } from "../../src/action/cache/restore.ts";
import { CacheSyncedStore } from "../../src/action/cache/store.ts";
import type { Checkpoint } from "../../src/engine/checkpoint.ts";
import { CheckpointRefusedError } from "../../src/errors.ts";
import { FileCheckpointStore } from "../../src/local/checkpoint-file.ts";
import { MemoryCache } from "../fakes/memory-cache.ts";

/** One runner: a workspace and a RUNNER_TEMP at fixed paths, wiped between attempts. */
let root: string;
let workspace: string;
let temp: string;
let output: string;
let checkpoint: string;
let cache: MemoryCache;

const ctx = (attempt: number) => ({
  job: "j",
  runId: "7",
  attempt,
  repository: "o/r",
  apiUrl: "http://x",
  runnerTemp: temp,
});

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "restore-"));
  workspace = join(root, "workspace");
  temp = join(root, "temp");
  output = join(workspace, "out.ndjson");
  checkpoint = join(workspace, "out.ndjson.checkpoint.json");
  cache = new MemoryCache();
  fresh();
});

function fresh(): void {
  for (const d of [workspace, temp]) {
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true });
  }
}

function checkpointAt(pages: number): Checkpoint {
  return {
    version: 2,
    fingerprint: "f",
    nextToken: `t${pages}`,
    processedCount: pages * 2,
    pages,
    timestamp: "2026-11-26T00:00:00.000Z",
    startedAt: "2026-11-26T00:00:00.000Z",
    request: { scope: "organization", region: "us-east-1", filter: {}, pageSize: 2, details: "none" },
    output: { path: output, bytes: statSync(output).size, lastArn: `p${pages}b` },
  };
}

/** Attempt 1 backs up `n` pages with an upload after each, then its runner is gone. */
function firstAttempt(n: number): Promise<{ text: string; last: Checkpoint }> {
  writeFileSync(output, "");
  return backUp(1, 1, n);
}

/** Pages `from` to `to` in attempt `attempt`, continuing `chain`, an upload after each; then the runner is gone. */
async function backUp(
  attempt: number,
  from: number,
  to: number,
  chain?: Chain,
  withBytes = true,
): Promise<{ text: string; last: Checkpoint }> {
  const keys = cacheKeys("hb", ctx(attempt), "null", "f");
  const store = new CacheSyncedStore(new FileCheckpointStore(checkpoint), {
    cache,
    keys,
    files: entryFiles(entryDir(temp, keys.run)),
    output,
    intervalMs: 0,
    clock: () => 0,
    log: { info: () => {}, warning: () => {}, debug: () => {} },
  });
  if (chain) await store.adopt(chain);
  let last = checkpointAt(from - 1);
  for (let p = from; p <= to; p++) {
    if (withBytes) appendFileSync(output, `{"arn":"p${p}a"}\n{"arn":"p${p}b"}\n`);
    last = checkpointAt(p);
    await store.save(last);
    await store.flush();
  }
  const text = readFileSync(output, "utf8");
  fresh();
  return { text, last };
}

function options(attempt = 2, matrixLeg = false): RestoreOptions {
  const keys = cacheKeys("hb", ctx(attempt), "null", "f");
  return {
    cache,
    keys,
    files: entryFiles(entryDir(temp, keys.run)),
    local: new FileCheckpointStore(checkpoint),
    output,
    attempt,
    earlier: {
      run: earlierReleaseRun("hb", ctx(attempt), "f"),
      paths: [checkpoint, output],
      matrixLeg,
    },
  };
}

describe("restoring a re-run from the cache", () => {
  it("restores the newest checkpoint, then each segment by exact key, and rebuilds the output exactly", async () => {
    const { text, last } = await firstAttempt(5);
    const restored = await restoreProgress(options());
    expect(restored).toMatchObject({ kind: "checkpoint", key: cache.entries[4]?.key });
    expect(readFileSync(output, "utf8")).toBe(text);
    expect(JSON.parse(readFileSync(checkpoint, "utf8"))).toEqual(last);
    if (restored.kind !== "checkpoint") throw new Error("expected a checkpoint");
    expect(restored.chain).toMatchObject({ bytes: text.length, pages: 5 });
    expect(restored.chain).toMatchObject({ count: 5, last: { key: cache.entries[4]?.key } });
  });

  it("continues the chain across attempts: attempt 3 rebuilds what attempts 1 and 2 uploaded", async () => {
    await firstAttempt(3);
    const second = await restoreProgress(options(2));
    if (second.kind !== "checkpoint") throw new Error("expected a checkpoint");
    const { text, last } = await backUp(2, 4, 6, second.chain);
    const third = await restoreProgress(options(3));
    expect(third).toMatchObject({ kind: "checkpoint", chain: { count: 6, pages: 6 } });
    expect(readFileSync(output, "utf8")).toBe(text);
    expect(JSON.parse(readFileSync(checkpoint, "utf8"))).toEqual(last);
    expect(cache.entries.map((e) => e.key.slice(-8))).toEqual([
      "1-000001",
      "1-000002",
      "1-000003",
      "2-000001",
      "2-000002",
      "2-000003",
    ]);
  });

  it("a newest upload that added no bytes points back to the entry holding the last segment", async () => {
    const { text } = await firstAttempt(3);
    const second = await restoreProgress(options(2));
    if (second.kind !== "checkpoint") throw new Error("expected a checkpoint");
    await backUp(2, 4, 4, second.chain, false); // page 4 brought no events: an entry with an empty segment
    const newest = cache.entries.at(-1);
    expect(newest?.files.get(entryFiles(entryDir(temp, options().keys.run)).segment)?.length).toBe(0);
    expect(await restoreProgress(options(3))).toMatchObject({
      kind: "checkpoint",
      key: newest?.key,
      chain: { count: 3, pages: 4, last: { key: cache.entries[2]?.key } },
    });
    expect(readFileSync(output, "utf8")).toBe(text);
  });

  it("the first attempt of a run restores nothing at all", async () => {
    await firstAttempt(2);
    expect(await restoreProgress(options(1))).toEqual({ kind: "fresh", firstAttempt: true });
    expect(cache.restores).toEqual([]);
    expect(readdirSync(workspace)).toEqual([]);
  });

  const damage: [string, (c: MemoryCache, segment: string) => void, RegExp][] = [
    [
      "missing (evicted)",
      (c) => c.entries.splice(2, 1),
      /its segment \S+-000003 is not in the cache any more/,
    ],
    [
      "of another length",
      (c, segment) => c.entries[1]?.files.set(segment, Buffer.from("{}\n")),
      /its segment \S+-000002 has 3 bytes, not \d+/,
    ],
    [
      "swapped for another entry (its own checkpoint and segment, each fine)",
      (c) => {
        const [one, two] = [c.entries[0], c.entries[1]];
        if (one && two) [one.files, two.files] = [two.files, one.files];
      },
      /the cache entry \S+-000002 does not hold the segment its chain records/,
    ],
    [
      "replaced, with a record that fits it, under the same key",
      (c, segment) => {
        const files = c.entries[1]?.files;
        const doc = JSON.parse(files?.get(join(dirname(segment), "checkpoint.json"))?.toString() ?? "");
        const other = Buffer.from((files?.get(segment) ?? Buffer.alloc(0)).toString().replace("p2a", "p9a"));
        doc.segments.last.sha256 = createHash("sha256").update(other).digest("hex");
        files?.set(segment, other);
        files?.set(join(dirname(segment), "checkpoint.json"), Buffer.from(JSON.stringify(doc)));
      },
      /its segments do not make up the chain its checkpoint records/,
    ],
    [
      "with other bytes of the same length",
      (c, segment) => {
        const bytes = c.entries[1]?.files.get(segment) ?? Buffer.alloc(0);
        c.entries[1]?.files.set(segment, Buffer.from(bytes.toString().replace("p2a", "p9a")));
      },
      /its segment \S+-000002 does not match its SHA-256/,
    ],
  ];

  it.each(damage)("a segment %s makes the checkpoint unusable: nothing is written", async (_n, harm, why) => {
    await firstAttempt(5);
    harm(cache, entryFiles(entryDir(temp, options().keys.run)).segment);
    const restored = await restoreProgress(options());
    expect(restored).toMatchObject({ kind: "unusable", pages: 5 });
    if (restored.kind !== "unusable") throw new Error("expected unusable");
    expect(restored.why).toMatch(why);
    // Never a partial or spliced output, and no file left over.
    expect(readdirSync(workspace)).toEqual([]);
  });

  it("a completion marker as the newest entry: start fresh", async () => {
    await firstAttempt(2);
    const keys = cacheKeys("hb", ctx(1), "null", "f");
    const files = entryFiles(entryDir(temp, keys.run));
    mkdirSync(files.dir, { recursive: true });
    writeFileSync(files.checkpoint, '{"version":2,"complete":true,"completedAt":"x","events":4,"pages":2}');
    writeFileSync(files.segment, "");
    await cache.save(files.paths, keys.upload(99));
    fresh();
    expect(await restoreProgress(options())).toEqual({ kind: "complete", key: keys.upload(99) });
  });

  it("refuses, loudly, a newest entry that is not a checkpoint of this release", async () => {
    await firstAttempt(1);
    const files = entryFiles(entryDir(temp, options().keys.run));
    const entry = cache.entries[0];
    const doc = JSON.parse(entry?.files.get(files.checkpoint)?.toString() ?? "");
    entry?.files.set(files.checkpoint, Buffer.from(JSON.stringify({ ...doc, version: 3 })));
    const error = await restoreProgress(options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointRefusedError);
    expect(error).toMatchObject({ reason: "unreadable" });
    const none = { count: 0, sha256: doc.segments.sha256 };
    entry?.files.set(files.checkpoint, Buffer.from(JSON.stringify({ ...doc, segments: none })));
    expect(await restoreProgress(options()).catch((e: unknown) => e)).toMatchObject({
      message: expect.stringMatching(
        /its segment list \(0 segments\) cannot make up the \d+ bytes it records/,
      ),
    });
  });

  describe("an entry of release 0.1.0 (checkpoint and whole output, version 1)", () => {
    async function earlierEntry(doc: object): Promise<string> {
      writeFileSync(output, '{"arn":"a"}\n{"arn":"b"}\n');
      writeFileSync(checkpoint, JSON.stringify(doc));
      const key = `${earlierReleaseRun("hb", ctx(1), "f")}1-post`;
      await cache.save([checkpoint, output], key);
      fresh();
      return key;
    }

    it("outside a matrix: restored as it is, for the engine to continue", async () => {
      const key = await earlierEntry({ version: 1, pages: 1 });
      expect(await restoreProgress(options())).toEqual({ kind: "earlier-release", key });
      expect(JSON.parse(readFileSync(checkpoint, "utf8"))).toEqual({ version: 1, pages: 1 });
      expect(readFileSync(output, "utf8")).toBe('{"arn":"a"}\n{"arn":"b"}\n');
    });

    it("its completion marker: start fresh, the marker removed", async () => {
      const key = await earlierEntry({ complete: true, events: 2, pages: 1 });
      expect(await restoreProgress(options())).toEqual({ kind: "complete", key });
      expect(existsSync(checkpoint)).toBe(false);
    });

    it("in a matrix leg: refused, since it may be another leg's; nothing restored", async () => {
      await earlierEntry({ version: 1, pages: 1 });
      const error = await restoreProgress(options(2, true)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckpointRefusedError);
      expect(error).toMatchObject({ reason: "ambiguous-leg" });
      expect(readdirSync(workspace)).toEqual([]);
    });
  });
});
