import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { realPath, removeLeftoverTemps, writeFileAtomic } from "../../src/util/fs.ts";

describe("leftover temp files of killed checkpoint writes", () => {
  it("removes only the checkpoint's own temp files (.<name>.<pid>.tmp), nothing that merely looks alike", async () => {
    const dir = mkdtempSync(join(tmpdir(), "temps-"));
    const checkpoint = join(dir, "out.ndjson.checkpoint.json");
    const keep = [
      "out.ndjson",
      "out.ndjson.checkpoint.json",
      ".out.ndjson.checkpoint.json.tmp", // no pid
      ".out.ndjson.checkpoint.json.12ab.tmp", // not a pid
      ".other.json.4242.tmp", // another file's
      "out.ndjson.lock.4242.tmp", // the lock's own temp file
      "notes.tmp",
    ];
    const stale = [".out.ndjson.checkpoint.json.4242.tmp", ".out.ndjson.checkpoint.json.7.tmp"];
    for (const name of [...keep, ...stale]) writeFileSync(join(dir, name), "x");
    expect(await removeLeftoverTemps(checkpoint)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual([...keep].sort());
  });

  it("matches the name writeFileAtomic gives its temp file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "temps-"));
    const checkpoint = join(dir, "cp.json");
    let seen: string[] = [];
    await writeFileAtomic(checkpoint, "{}", (point) => {
      if (point === "checkpoint-temp-written") seen = readdirSync(dir);
    });
    expect(seen).toEqual([`.cp.json.${process.pid}.tmp`]);
    writeFileSync(join(dir, seen[0] as string), "killed half-way");
    expect(await removeLeftoverTemps(checkpoint)).toBe(1);
    expect(readdirSync(dir)).toEqual(["cp.json"]);
  });

  it("is fine with a folder that does not exist yet", async () => {
    expect(await removeLeftoverTemps(join(tmpdir(), "no-such-folder-4242", "cp.json"))).toBe(0);
  });
});

describe("writes through symbolic links", () => {
  it("replaces the file a link names, also a link to nothing yet, and the link stays", async () => {
    const dir = mkdtempSync(join(tmpdir(), "links-"));
    mkdirSync(join(dir, "real"));
    symlinkSync(join("real", "cp.json"), join(dir, "cp.json")); // nothing there yet
    await writeFileAtomic(join(dir, "cp.json"), "one");
    await writeFileAtomic(join(dir, "cp.json"), "two");
    expect(lstatSync(join(dir, "cp.json")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, "real", "cp.json"), "utf8")).toBe("two");
    expect(realPath(join(dir, "cp.json"))).toBe(realPath(join(dir, "real", "cp.json")));
  });
});
