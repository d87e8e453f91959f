import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { LockedError } from "../../src/errors.ts";
import { acquireLock } from "../../src/util/lock.ts";

let file: string;
beforeEach(() => {
  file = join(mkdtempSync(join(tmpdir(), "lock-")), "out.ndjson");
});

const purpose = "A backfill into out.ndjson";

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

function holder(fields: Record<string, unknown>): void {
  writeFileSync(
    `${file}.lock`,
    JSON.stringify({ host: hostname(), since: "2026-11-30T00:00:00Z", purpose, ...fields }),
  );
}

describe("the output lock", () => {
  it("refuses a second holder with a line naming the first, and is free again after release", async () => {
    const lock = await acquireLock(file, { purpose });
    const second = await acquireLock(file, { purpose }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(LockedError);
    expect((second as Error).message).toMatch(
      new RegExp(
        `^A backfill into out\\.ndjson \\(pid ${process.pid} on ${hostname()}, since \\S+\\) holds the lock .*out\\.ndjson\\.lock\\.$`,
      ),
    );
    await lock.release();
    expect(existsSync(`${file}.lock`)).toBe(false);
    await (await acquireLock(file, { purpose })).release();
  });

  it("takes over a lock whose process is gone, and says so", async () => {
    holder({ pid: deadPid() });
    const told: string[] = [];
    const lock = await acquireLock(file, { purpose, onStale: (m) => told.push(m) });
    expect(told).toEqual([
      expect.stringMatching(/^Took over the lock .*: its holder \(pid \d+ on .*\) is no longer running\.$/),
    ]);
    expect(JSON.parse(readFileSync(`${file}.lock`, "utf8")).pid).toBe(process.pid);
    await lock.release();
  });

  it("takes over a lock whose pid now belongs to another process (a reboot, a container)", async () => {
    holder({ pid: process.pid, process: "another-boot:12345" });
    const lock = await acquireLock(file, { purpose });
    await lock.release();
  });

  it("trusts a holder on another machine until it stops refreshing the lock, and says which it was", async () => {
    holder({ pid: 1, host: "elsewhere" });
    await expect(acquireLock(file, { purpose })).rejects.toThrow(/\(pid 1 on elsewhere, since/);
    const old = new Date(Date.now() - 11 * 60_000);
    utimesSync(`${file}.lock`, old, old);
    const told: string[] = [];
    await (await acquireLock(file, { purpose, onStale: (m) => told.push(m) })).release();
    expect(told).toEqual([
      expect.stringMatching(
        /^Took over the lock .*: its holder \(pid 1 on elsewhere\) did not refresh it for 10 minutes\.$/,
      ),
    ]);
  });

  it("leaves a lock it cannot read as its own while it changes, and says when it will take it over", async () => {
    writeFileSync(`${file}.lock`, '{"version":1,"nextToken":"abc"}');
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock`, old, old);
    const error = await acquireLock(file, { purpose }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError);
    expect((error as Error).message).toMatch(
      /^The lock .*out\.ndjson\.lock does not name a holder this program wrote; it is taken over once nobody has changed it for 10 minutes \(in 9 more\)\.$/,
    );
    expect(readFileSync(`${file}.lock`, "utf8")).toBe('{"version":1,"nextToken":"abc"}');
  });

  it("takes over a lock it cannot read as its own once nobody changed it for 10 minutes", async () => {
    writeFileSync(`${file}.lock`, "garbage");
    const old = new Date(Date.now() - 11 * 60_000);
    utimesSync(`${file}.lock`, old, old);
    const told: string[] = [];
    const lock = await acquireLock(file, { purpose, onStale: (m) => told.push(m) });
    expect(told).toEqual([
      expect.stringMatching(
        /^Took over the lock .*: it does not name a holder this program wrote and was not changed for 10 minutes\.$/,
      ),
    ]);
    expect(JSON.parse(readFileSync(`${file}.lock`, "utf8")).pid).toBe(process.pid);
    await lock.release();
  });

  it("release leaves a lock that another run took over in place", async () => {
    const lock = await acquireLock(file, { purpose });
    holder({ pid: 1, host: "elsewhere" });
    await lock.release();
    expect(existsSync(`${file}.lock`)).toBe(true);
  });

  it("removes the temp files of lock creations a kill cut short, and only those", async () => {
    const dead = deadPid();
    const leftovers = [`${file}.lock.${dead}.tmp`, `${file}.lock.${deadPid()}.tmp`];
    writeFileSync(leftovers[0] as string, JSON.stringify({ pid: dead, host: hostname(), purpose }));
    writeFileSync(leftovers[1] as string, ""); // killed before it wrote anything
    // Kept: a running process's (this one's parent), another machine's, and a file that only looks alike.
    const kept = [`${file}.lock.${process.ppid}.tmp`, `${file}.lock.${deadPid()}.tmp`, `${file}.lock.x.tmp`];
    writeFileSync(kept[0] as string, "");
    writeFileSync(kept[1] as string, JSON.stringify({ pid: 1, host: "elsewhere", purpose }));
    writeFileSync(kept[2] as string, "mine");
    const lock = await acquireLock(file, { purpose });
    expect(leftovers.filter((path) => existsSync(path))).toEqual([]);
    expect(kept.filter((path) => existsSync(path))).toEqual(kept);
    await lock.release();
  });
});
