import { execFileSync } from "node:child_process";
import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig, type RawInputs } from "../../src/config/config.ts";
import { identityId } from "../../src/engine/record.ts";
import { backedUpFingerprint } from "../../src/engine/request.ts";
import { CheckpointRefusedError, exitCodeOf, LockedError, UsageError } from "../../src/errors.ts";
import { openLocalFiles } from "../../src/local/files.ts";

/** The files of a scheduled backup: checked before anything is touched, each locked while in use. */
const config = (raw: RawInputs) => parseConfig(raw, { now: Date.now(), readFile: () => "" });
const open = (raw: RawInputs) => openLocalFiles(config(raw), { onStale: () => {} });

describe("local files of since: last-run and merge-into", () => {
  it("locks the archive and the record: a second backfill into the same archive or of the same backup waits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "files-"));
    const raw = {
      since: "last-run",
      output: join(dir, "a.ndjson"),
      "merge-into": join(dir, "archive.ndjson"),
    };
    const identity = {
      account: "111122223333",
      endpoint: "https://health.us-east-1.amazonaws.com",
      destination: join(dir, "archive.ndjson"),
      query: backedUpFingerprint(config(raw).query),
    };
    const first = await open(raw);
    try {
      const records = await first.openRecords(identity);
      expect(records.location).toBe(join(dir, `health-backfill.last-run.${identityId(identity)}.json`));
      await expect(
        open({ output: join(dir, "b.ndjson"), "merge-into": join(dir, "archive.ndjson") }),
      ).rejects.toThrow(LockedError);
      const other = await open({ since: "last-run", output: join(dir, "c.ndjson") });
      try {
        await expect(other.openRecords(identity)).rejects.toThrow(
          /holds the lock .*health-backfill\.last-run\.[0-9a-f]{16}\.json\.lock/,
        );
        // Another backup (another account) in the same folder has a record of its own.
        const staging = await other.openRecords({ ...identity, account: "444455556666" });
        expect(staging.location).not.toBe(records.location);
      } finally {
        await other.release();
      }
    } finally {
      await first.release();
    }
    const again = await open({ output: join(dir, "b.ndjson"), "merge-into": join(dir, "archive.ndjson") });
    await again.release();
  });

  it("refuses an archive that is the output or the checkpoint, by real path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "files-"));
    writeFileSync(join(dir, "out.ndjson"), "");
    symlinkSync(join(dir, "out.ndjson"), join(dir, "link.ndjson"));
    await expect(
      open({ output: join(dir, "out.ndjson"), "merge-into": join(dir, "link.ndjson") }),
    ).rejects.toThrow(
      /^Invalid merge-into: .*link\.ndjson is the same file as the output .*out\.ndjson\. Allowed: another path\.$/,
    );
    const error = await open({
      output: join(dir, "out.ndjson"),
      checkpoint: join(dir, "cp.json"),
      "merge-into": join(dir, ".", "cp.json"),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/is the same file as the checkpoint/);
  });

  it("removes what killed writes left beside the output and the checkpoint once it holds their locks", async () => {
    const dir = mkdtempSync(join(tmpdir(), "files-"));
    const output = join(dir, "out.ndjson");
    // A checkpoint write and an output a restore was rebuilding, both cut short by a kill; and a file
    // of the user's that only looks alike.
    for (const name of [".out.ndjson.checkpoint.json.123.tmp", ".out.ndjson.456.tmp", ".out.ndjson.tmp"])
      writeFileSync(join(dir, name), "left");
    const files = await open({ output });
    try {
      expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([".out.ndjson.tmp"]);
    } finally {
      await files.release();
    }
  });
});
describe("paths that are one file, or no regular file", () => {
  const dirOf = () => mkdtempSync(join(tmpdir(), "files-"));
  const refusal = (raw: RawInputs) =>
    open(raw).then(
      async (files) => {
        await files.release();
        return undefined;
      },
      (error: unknown) => error as Error,
    );

  it("compares device and inode: hard links between any two files or locks are refused", async () => {
    const dir = dirOf();
    const [out, cp, archive] = ["out.ndjson", "cp.json", "archive.ndjson"].map((n) => join(dir, n)) as [
      string,
      string,
      string,
    ];
    writeFileSync(cp, "{}");
    linkSync(cp, archive);
    const raw = { output: out, checkpoint: cp, "merge-into": archive };
    expect((await refusal(raw))?.message).toMatch(
      /^Invalid merge-into: .*archive\.ndjson is the same file as the checkpoint .*cp\.json\. Allowed: another path\.$/,
    );
    rmSync(archive);
    writeFileSync(archive, "");
    linkSync(archive, `${out}.lock`);
    expect((await refusal(raw))?.message).toMatch(
      /^Invalid merge-into: .*archive\.ndjson and the output .*out\.ndjson collide: one is where the other's lock goes\./,
    );
  });

  it("names the last-run record, not the output, when the record is a folder", async () => {
    const dir = dirOf();
    const output = join(dir, "out.ndjson");
    const identity = {
      account: "111122223333",
      endpoint: "https://health.us-east-1.amazonaws.com",
      destination: output,
      query: backedUpFingerprint(config({ since: "last-run", output }).query),
    };
    const record = join(dir, `health-backfill.last-run.${identityId(identity)}.json`);
    mkdirSync(record);
    const files = await open({ since: "last-run", output });
    const error = await files.openRecords(identity).catch((e: unknown) => e as Error);
    await files.release();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      `Invalid last-run record: ${record} is a folder, not a regular file. Allowed: the path of a regular file, or of none yet.`,
    );
  });

  it("refuses a checkpoint this user cannot open as unreadable (exit 3), and lets restart discard it", async () => {
    const dir = dirOf();
    const cp = join(dir, "cp.json");
    writeFileSync(cp, "{}");
    // Root opens any file it may read; only an immutable one stays closed to it.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) execFileSync("chattr", ["+i", cp]);
    else chmodSync(cp, 0);
    try {
      const error = await refusal({ output: join(dir, "out.ndjson"), checkpoint: cp });
      expect(error).toBeInstanceOf(CheckpointRefusedError);
      expect(exitCodeOf(error)).toBe(3);
      expect(error?.message).toMatch(
        /^The checkpoint .*cp\.json is unreadable: this user cannot open it for reading and writing \(E(PERM|ACCES)\)\.$/,
      );
      expect(await refusal({ output: join(dir, "out.ndjson"), checkpoint: cp, restart: "true" })).toBe(
        undefined,
      );
    } finally {
      if (asRoot) execFileSync("chattr", ["-i", cp]);
    }
  });
});
