import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.ts";
import { releasedFingerprint } from "../../src/engine/request.ts";
import type { Simulator } from "../../src/simulator/server.ts";
import { accountRouter } from "../support/accounts.ts";
import { churningSimulator, fakeClock } from "../support/clock.ts";
import { expectedDelta, latestState, readJsonLines, stateOf, versionOf } from "../support/history.ts";
import { awsEnv, runScript, type ScriptResult } from "../support/script.ts";

/**
 * Scheduled backups with the bundled script under Node 24 (`--since last-run --merge-into`), checked
 * against the simulators' truth: every event of the backup's own account, its newest version, once.
 * Simulators and script share a clock the test moves (fake-clock.ts).
 */
const T1 = Date.UTC(2026, 10, 2, 9, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Before the simulators' oldest event, so a first run backs up all of them (it warns: past 90 days). */
const FIRST_SINCE = new Date(T1 - 100 * DAY).toISOString();
const PROD = { account: "111122223333", key: "AKIDPRODUCTION01" };
const STAGING = { account: "444455556666", key: "AKIDSTAGING00001" };

let clock = T1;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  clock = T1;
});

async function simulator(seed: number, account: string): Promise<Simulator> {
  const sim = await churningSimulator(() => clock, { seed, account });
  closers.push(() => sim.close());
  return sim;
}

/** Two accounts behind one endpoint: the two backups differ in their credentials only. */
async function twoAccounts() {
  const prod = await simulator(8, PROD.account);
  const staging = await simulator(21, STAGING.account);
  const router = await accountRouter({ [PROD.key]: prod.url, [STAGING.key]: staging.url });
  closers.push(() => router.close());
  return { prod, staging, url: router.url };
}

const args = (name: string, extra: string[] = []) => [
  "--since",
  "last-run",
  "--first-since",
  FIRST_SINCE,
  "--page-size",
  "25",
  "--details",
  "none",
  "--output",
  `backups/${name}-delta.ndjson`,
  "--merge-into",
  `backups/${name}-archive.ndjson`,
  ...extra,
];

function backup(
  dir: string,
  url: string,
  key: string,
  argv: string[],
  env: Record<string, string> = {},
): Promise<ScriptResult> {
  return runScript(argv, {
    cwd: dir,
    env: { ...awsEnv(url), AWS_ACCESS_KEY_ID: key, ...fakeClock(clock), ...env },
  });
}

const archiveOf = (dir: string, name: string) =>
  stateOf(readJsonLines(join(dir, "backups", `${name}-archive.ndjson`)));
const deltaOf = (dir: string, name: string) =>
  readJsonLines(join(dir, "backups", `${name}-delta.ndjson`)).map(versionOf);

interface StoredRecord {
  version: number;
  from?: string;
  until: string;
  completedAt: string;
  events: number;
  identity: { account: string; destination: string };
  adoptedFrom?: string;
}

/** The records of version 2 in a folder, by the account they belong to. */
function recordsIn(folder: string): Record<string, StoredRecord> {
  const out: Record<string, StoredRecord> = {};
  for (const name of readdirSync(folder).filter((f) =>
    /^health-backfill\.last-run\.[0-9a-f]{16}\.json$/.test(f),
  )) {
    const doc = JSON.parse(readFileSync(join(folder, name), "utf8")) as StoredRecord;
    if (doc.version === 2) out[doc.identity.account] = doc;
  }
  return out;
}

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "backups-"));
  mkdirSync(join(dir, "backups"));
  return dir;
}

describe("scheduled backups, the script", () => {
  it("two accounts backed up from one folder with the same flags keep their own records and complete archives", async () => {
    const { prod, staging, url } = await twoAccounts();
    const dir = folder();
    for (const at of [T1, T1 + 2 * HOUR, T1 + 4 * HOUR]) {
      clock = at;
      prod.advance();
      staging.advance();
      const p = await backup(dir, url, PROD.key, args("prod"));
      expect(p.code, p.stderr).toBe(0);
      const s = await backup(dir, url, STAGING.key, args("staging"));
      expect(s.code, s.stderr).toBe(0);
      expect(archiveOf(dir, "prod")).toEqual(latestState(prod));
      expect(archiveOf(dir, "staging")).toEqual(latestState(staging));
      if (at === T1) expect(s.stderr).toContain("No earlier complete run found");
      else expect(s.stderr).toMatch(/continuing the last complete run/);
    }
    expect(latestState(staging).length).toBeGreaterThan(300);
    const records = recordsIn(join(dir, "backups"));
    expect(Object.keys(records).sort()).toEqual([PROD.account, STAGING.account]);
    expect(records[STAGING.account]?.identity.destination).toBe(
      join(dir, "backups", "staging-archive.ndjson"),
    );

    // A new page size fetches the same events: the record holds. Another query is another backup.
    clock = T1 + 6 * HOUR;
    prod.advance();
    const pageSize = await backup(dir, url, PROD.key, args("prod", ["--page-size", "50"]));
    expect(pageSize.code, pageSize.stderr).toBe(0);
    expect(pageSize.stderr).toMatch(/continuing the last complete run/);
    expect(archiveOf(dir, "prod")).toEqual(latestState(prod));
    const other = await backup(dir, url, PROD.key, args("prod", ["--details", "description"]));
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).toContain("No earlier complete run found");
  }, 120_000);

  it("a runner clock an hour fast: until is AWS's time, so the next run fetches every update in between", async () => {
    const sim = await simulator(8, PROD.account);
    const dir = folder();
    const first = await backup(dir, sim.url, PROD.key, args("prod"), fakeClock(T1 + HOUR));
    expect(first.code, first.stderr).toBe(0);
    const record = recordsIn(join(dir, "backups"))[PROD.account];
    expect(Math.abs(Date.parse(record?.until ?? "") - T1)).toBeLessThan(5000);
    clock = T1 + 2 * HOUR;
    sim.advance();
    const second = await backup(dir, sim.url, PROD.key, args("prod"));
    expect(second.code, second.stderr).toBe(0);
    const next = recordsIn(join(dir, "backups"))[PROD.account];
    const delta = deltaOf(dir, "prod");
    expect(delta).toEqual(expectedDelta(sim, clock, next?.from ?? "", next?.until ?? ""));
    // The updates of the hour the fast clock would have skipped are in this delta.
    const skipped = delta.filter((v) => {
      const t = Date.parse(v.slice(v.lastIndexOf("@") + 1));
      return t > T1 && t < T1 + HOUR;
    });
    expect(skipped.length).toBeGreaterThan(20);
    expect(archiveOf(dir, "prod")).toEqual(latestState(sim));
  }, 60_000);

  it("a record whose until lies after AWS's now is distrusted: a warning, and the window starts where that run started", async () => {
    const sim = await simulator(8, PROD.account);
    const dir = folder();
    expect((await backup(dir, sim.url, PROD.key, args("prod"))).code).toBe(0);
    // As a release that pinned until on a fast runner clock would have left it.
    const name = readdirSync(join(dir, "backups")).find((f) => f.startsWith("health-backfill.last-run."));
    const file = join(dir, "backups", name ?? "");
    const record = JSON.parse(readFileSync(file, "utf8")) as StoredRecord;
    writeFileSync(file, JSON.stringify({ ...record, until: new Date(T1 + 5 * HOUR).toISOString() }));
    clock = T1 + 2 * HOUR;
    sim.advance();
    const run = await backup(dir, sim.url, PROD.key, args("prod"));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      `⚠ The last complete run's record ends at ${new Date(T1 + 5 * HOUR).toISOString()}, after AWS's current time`,
    );
    expect(run.stderr).toContain(`Backing up again from where that run started, ${record.from}`);
    expect(archiveOf(dir, "prod")).toEqual(latestState(sim));
  }, 60_000);

  it("cron keeps working after a killed run: the expired checkpoint of a last-run backup is set aside, loudly", async () => {
    const sim = await simulator(8, PROD.account);
    const dir = folder();
    const killed = await backup(dir, sim.url, PROD.key, args("prod"), {
      HEALTH_BACKFILL_KILL_AT: "page-written:3",
    });
    expect(killed.signal).toBe("SIGKILL");
    clock = T1 + 25 * HOUR;
    sim.advance();
    const next = await backup(dir, sim.url, PROD.key, args("prod"));
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(
      /⚠ The checkpoint backups\/prod-delta\.ndjson\.checkpoint\.json is 25\.0 hours old \(its token was received at \S+\), too old to resume\. The last complete run's record has not moved, so this run backs up that window again from the first page; the 50 events of 2 pages in backups\/prod-delta\.ndjson are replaced when the first page arrives\./,
    );
    expect(archiveOf(dir, "prod")).toEqual(latestState(sim));
    const delta = deltaOf(dir, "prod");
    expect(new Set(delta).size).toBe(delta.length);

    // An explicit window keeps the rule: an expired checkpoint fails loudly and nothing is touched.
    const explicit = [
      "--since",
      "30d",
      "--output",
      "backups/window.ndjson",
      "--page-size",
      "25",
      "--details",
      "none",
    ];
    const cut = await backup(dir, sim.url, PROD.key, explicit, { HEALTH_BACKFILL_KILL_AT: "page-written:2" });
    expect(cut.signal).toBe("SIGKILL");
    const before = readFileSync(join(dir, "backups", "window.ndjson"));
    clock = T1 + 50 * HOUR;
    const refused = await backup(dir, sim.url, PROD.key, explicit);
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toMatch(/is 25\.0 hours old .* so it cannot be resumed/);
    expect(readFileSync(join(dir, "backups", "window.ndjson"))).toEqual(before);
  }, 60_000);

  it("a first run whose first-since reaches past AWS's 90 days warns", async () => {
    const sim = await simulator(8, PROD.account);
    const dir = folder();
    const run = await backup(dir, sim.url, PROD.key, args("prod"));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      `⚠ No earlier complete run found: backing up from ${FIRST_SINCE} (first-since ${FIRST_SINCE}) to `,
    );
    expect(run.stderr).toMatch(
      /\. That is further back than the 90 days AWS keeps Health events: nothing updated before \S+ can be fetched\.\n/,
    );
  }, 30_000);
});

describe("the record release 0.1.0 kept, after an upgrade", () => {
  /** Rewrites the records as release 0.1.0 kept them: one file named by the flags' fingerprint, the last run's. */
  function asReleased(dir: string, account: string, argv: string[]): string {
    const folderPath = join(dir, "backups");
    const last = recordsIn(folderPath)[account];
    if (!last) throw new Error(`no record of ${account}`);
    for (const name of readdirSync(folderPath).filter((f) => f.startsWith("health-backfill.last-run.")))
      rmSync(join(folderPath, name));
    const flags: Record<string, string> = {};
    for (let i = 0; i < argv.length; i += 2) flags[(argv[i] ?? "").slice(2)] = argv[i + 1] ?? "";
    const print = releasedFingerprint(parseConfig(flags, { now: clock, readFile: () => "" }).query);
    const { from, until, completedAt, events } = last;
    const legacy = { version: 1, fingerprint: print, from, until, completedAt, events, pages: 1 };
    const path = join(folderPath, `health-backfill.last-run.${print}.json`);
    writeFileSync(path, `${JSON.stringify(legacy, null, 2)}\n`);
    return path;
  }

  /** When a backup's archive was last written, as its runs left it (the test's runs are on a fake clock). */
  function archiveWrittenAt(dir: string, name: string, at: number): void {
    utimesSync(join(dir, "backups", `${name}-archive.ndjson`), new Date(at), new Date(at));
  }

  it("is taken over by the one backup whose archive it followed, and refused by the other, saying why", async () => {
    const { prod, staging, url } = await twoAccounts();
    const dir = folder();
    expect((await backup(dir, url, PROD.key, args("prod"))).code).toBe(0);
    expect((await backup(dir, url, STAGING.key, args("staging"))).code).toBe(0);
    // Release 0.1.0 kept one record for both: the one the later run, staging's, wrote.
    const completedAt = recordsIn(join(dir, "backups"))[STAGING.account]?.completedAt ?? "";
    const legacy = asReleased(dir, STAGING.account, args("staging"));
    // Prod completed 40 s before staging; staging's record followed its archive at once.
    const prodWritten = Date.parse(completedAt) - 40_000;
    archiveWrittenAt(dir, "prod", prodWritten);
    archiveWrittenAt(dir, "staging", Date.parse(completedAt) - 300);
    clock = T1 + 2 * HOUR;
    prod.advance();
    staging.advance();

    const p = await backup(dir, url, PROD.key, args("prod"));
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).toContain(
      `⚠ No earlier complete run found (The record release 0.1.0 kept for these flags, backups/${basename(legacy)}, may be another backup's ` +
        `(it was written at ${completedAt}, this backup's backups/prod-archive.ndjson at ${new Date(prodWritten).toISOString()}), so it is not used): backing up from ${FIRST_SINCE}`,
    );
    const s = await backup(dir, url, STAGING.key, args("staging"));
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toMatch(
      /continuing the last complete run \(until \S+, completed \S+\) less 15 minutes of overlap\. That record was kept by release 0\.1\.0/,
    );
    expect(archiveOf(dir, "prod")).toEqual(latestState(prod));
    expect(archiveOf(dir, "staging")).toEqual(latestState(staging));
    const adopted = recordsIn(join(dir, "backups"))[STAGING.account]?.adoptedFrom;
    expect(adopted).toBe(basename(legacy));
  }, 60_000);
});
