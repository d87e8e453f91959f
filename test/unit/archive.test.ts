import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.ts";
import { ArchiveFile } from "../../src/local/archive.ts";
import { tallyOutput } from "../../src/local/tally.ts";
import { NODE24 } from "../support/runner.ts";

let dir: string;
let archive: string;
let delta: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "archive-"));
  archive = join(dir, "archive.ndjson");
  delta = join(dir, "delta.ndjson");
});

interface Ev {
  arn: string;
  lastUpdatedTime: string;
  v?: string;
  eventTypeCategory?: string;
  statusCode?: string;
  service?: string;
}

const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 0, minute)).toISOString();
const ev = (arn: string, minute: number, v = "", extra: Partial<Ev> = {}): Ev => ({
  arn,
  lastUpdatedTime: at(minute),
  v,
  ...extra,
});
const jsonl = (events: Ev[]) => events.map((e) => `${JSON.stringify(e)}\n`).join("");
const read = (path = archive) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Ev);

async function merge(events: Ev[]) {
  writeFileSync(delta, jsonl(events));
  const file = new ArchiveFile(archive);
  await file.prepare();
  return file.merge(delta);
}

describe("merge-into", () => {
  it("keeps one line per event, the newest version, newest lastUpdatedTime first, then by arn", async () => {
    expect(await merge([ev("b", 5), ev("a", 5), ev("c", 1)])).toEqual({ events: 3, added: 3, updated: 0 });
    expect(await merge([ev("c", 9, "new"), ev("d", 2)])).toEqual({ events: 4, added: 1, updated: 1 });
    expect(read()).toEqual([ev("c", 9, "new"), ev("a", 5), ev("b", 5), ev("d", 2)]);
  });

  it("an older version in the delta does not replace a newer one; the same version takes the delta's details", async () => {
    writeFileSync(archive, jsonl([ev("a", 9, "archived"), ev("b", 3, "old details")]));
    expect(await merge([ev("a", 2, "stale"), ev("b", 3, "fresh details")])).toEqual({
      events: 2,
      added: 0,
      updated: 0,
    });
    expect(read()).toEqual([ev("a", 9, "archived"), ev("b", 3, "fresh details")]);
  });

  it("copies lines byte for byte; merging the same delta twice changes nothing", async () => {
    const line =
      '{"arn":"x","lastUpdatedTime":"2026-11-01T00:00:00.000Z","details":[{"latestDescription":"é ✓"}]}\n';
    writeFileSync(delta, line);
    const file = new ArchiveFile(archive);
    await file.prepare();
    await file.merge(delta);
    const once = readFileSync(archive);
    await file.merge(delta);
    expect(readFileSync(archive)).toEqual(once);
    expect(once.toString("utf8")).toBe(line);
  });

  it("normalizes an archive in any order, with duplicates, blank lines and no final line end", async () => {
    writeFileSync(
      archive,
      `${JSON.stringify(ev("a", 1, "old"))}\n\n${JSON.stringify(ev("b", 7))}\n${JSON.stringify(ev("a", 4, "newer"))}`,
    );
    await merge([ev("c", 2)]);
    expect(read()).toEqual([ev("b", 7), ev("a", 4, "newer"), ev("c", 2)]);
    expect(readFileSync(archive, "utf8").endsWith("}\n")).toBe(true);
  });

  it("reads an archive an editor saved with a byte-order mark and CRLF line ends, and writes one line end", async () => {
    const [a, b, c] = [ev("a", 9), ev("b", 5), ev("c", 1)].map((e) => JSON.stringify(e));
    writeFileSync(archive, `\uFEFF${a}\r\n${c}\r\n\r\n${b}\r`);
    expect(await merge([ev("d", 3)])).toEqual({ events: 4, added: 1, updated: 0 });
    expect(readFileSync(archive, "utf8")).toBe(`${a}\n${b}\n${jsonl([ev("d", 3)])}${c}\n`);
  });

  it.each([
    ["not json", /line 2, is not JSON/],
    ["[1,2]", /line 2, is not a JSON object/],
    ['{"lastUpdatedTime":"2026-11-01T00:00:00Z"}', /line 2, has no "arn"/],
    [
      '{"arn":"z","lastUpdatedTime":"yesterday"}',
      /line 2, \("arn" "z"\) has no "lastUpdatedTime" that is a time/,
    ],
  ])(
    "a malformed archive line (%s) is refused before anything, naming file and line",
    async (bad, message) => {
      const before = `${JSON.stringify(ev("a", 1))}\n${bad}\n`;
      writeFileSync(archive, before);
      const file = new ArchiveFile(archive);
      const error = await file.prepare().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(new RegExp(`^Invalid merge-into: ${archive}, line 2, `));
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/Nothing was replaced; fix or remove that line\.$/);
      expect(readFileSync(archive, "utf8")).toBe(before);
    },
  );

  it("an archive changed after it was checked is read again, and refused if now malformed; nothing replaced", async () => {
    writeFileSync(archive, jsonl([ev("a", 1)]));
    writeFileSync(delta, jsonl([ev("b", 2)]));
    const file = new ArchiveFile(archive);
    await file.prepare();
    writeFileSync(archive, `${jsonl([ev("a", 1)])}oops\n`);
    await expect(file.merge(delta)).rejects.toThrow(/line 2, is not JSON/);
    expect(readFileSync(archive, "utf8")).toBe(`${jsonl([ev("a", 1)])}oops\n`);
    expect(readdirSync(dir).sort()).toEqual(["archive.ndjson", "delta.ndjson"]);
  });

  it("keeps the archive's file mode and removes temp files a killed merge left", async () => {
    writeFileSync(archive, jsonl([ev("a", 1)]));
    chmodSync(archive, 0o640);
    writeFileSync(join(dir, ".archive.ndjson.12345.tmp"), "half a merge");
    await merge([ev("b", 2)]);
    expect(statSync(archive).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir).sort()).toEqual(["archive.ndjson", "delta.ndjson"]);
  });

  it("does not hold the archive in memory: a 60 MB archive merges in a process with a 24 MB heap", async () => {
    const pad = "x".repeat(2000);
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      lines.push(
        JSON.stringify({ arn: `arn:${String(i).padStart(6, "0")}`, lastUpdatedTime: at(i % 1000), pad }),
      );
    }
    writeFileSync(archive, `${lines.join("\n")}\n`);
    writeFileSync(delta, jsonl([ev("arn:000001", 5000, "update")]));
    const script = `
      const { ArchiveFile } = await import(${JSON.stringify(resolve("src/local/archive.ts"))});
      const file = new ArchiveFile(${JSON.stringify(archive)});
      await file.prepare();
      console.log(JSON.stringify(await file.merge(${JSON.stringify(delta)})));`;
    const run = spawnSync(NODE24, ["--max-old-space-size=24", "--input-type=module", "-e", script], {
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ events: 30_000, added: 0, updated: 1 });
    expect(read()[0]).toEqual(ev("arn:000001", 5000, "update"));
    expect(statSync(archive).size).toBeGreaterThan(60_000_000);
  });
});

describe("tally of a delta", () => {
  it("counts events by category and status, and ranks services", async () => {
    writeFileSync(
      delta,
      jsonl([
        ev("1", 1, "", { eventTypeCategory: "issue", statusCode: "open", service: "EC2" }),
        ev("2", 1, "", { eventTypeCategory: "issue", statusCode: "closed", service: "EC2" }),
        ev("3", 1, "", { eventTypeCategory: "issue", statusCode: "closed", service: "RDS" }),
        ev("4", 1, "", { eventTypeCategory: "scheduledChange", statusCode: "upcoming", service: "RDS" }),
        ev("5", 1, "", { eventTypeCategory: "scheduledChange", statusCode: "upcoming", service: "S3" }),
      ]),
    );
    const t = await tallyOutput(delta, 2);
    expect(t).toEqual({
      events: 5,
      byCategory: [
        {
          name: "issue",
          count: 3,
          byStatus: [
            ["closed", 2],
            ["open", 1],
          ],
        },
        { name: "scheduledChange", count: 2, byStatus: [["upcoming", 2]] },
      ],
      byStatus: [
        ["closed", 2],
        ["upcoming", 2],
        ["open", 1],
      ],
      topServices: [
        ["EC2", 2],
        ["RDS", 2],
      ],
    });
  });
});
