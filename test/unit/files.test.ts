import { mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig, type RawInputs } from "../../src/config/config.ts";
import { identityId } from "../../src/engine/record.ts";
import { backedUpFingerprint } from "../../src/engine/request.ts";
import { LockedError, UsageError } from "../../src/errors.ts";
import { openLocalFiles } from "../../src/files.ts";

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
