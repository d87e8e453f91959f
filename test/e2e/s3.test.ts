import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/simulator/server.ts";
import { accountRouter } from "../support/accounts.ts";
import { churningSimulator, fakeClock } from "../support/clock.ts";
import { expectedDelta, latestState, type OutputLine, stateOf, versionOf } from "../support/history.ts";
import { startS3, type TestS3 } from "../support/s3.ts";
import { awsEnv, runScript, type ScriptResult } from "../support/script.ts";

/**
 * `--archive s3://…` with the bundled script under Node 24, against s3rver (a real S3 server spoken to
 * by the real @aws-sdk/client-s3) behind test/support/s3.ts, which adds S3's conditional writes and the
 * faults. Every test here uses that layer: the conditional writes (If-Match, If-None-Match) on every
 * archive and record write, and `deny`/`fail`/`hold` where a test says so. Simulators and script share
 * a clock the test moves (fake-clock.ts).
 */
const T1 = Date.UTC(2026, 10, 2, 9, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const FIRST_SINCE = new Date(T1 - 100 * DAY).toISOString();
const BUCKET = "backups";
const PREFIX = "health/org";
const ARCHIVE_KEY = `${PREFIX}/archive/archive.ndjson.gz`;
const PROD = { account: "111122223333", key: "AKIDPRODUCTION01" };
const STAGING = { account: "444455556666", key: "AKIDSTAGING00001" };

let clock = T1;
let s3: TestS3;
const closers: (() => Promise<void>)[] = [];
beforeEach(async () => {
  clock = T1;
  s3 = await startS3([BUCKET], () => clock);
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await s3.stop();
});

async function simulator(seed = 8, account = PROD.account): Promise<Simulator> {
  const sim = await churningSimulator(() => clock, { seed, account });
  closers.push(() => sim.close());
  return sim;
}

const ARGS = [
  "--since",
  "last-run",
  "--first-since",
  FIRST_SINCE,
  "--page-size",
  "25",
  "--details",
  "none",
  "--output",
  "delta.ndjson",
  "--archive",
  `s3://${BUCKET}/${PREFIX}/`,
];

function backup(
  url: string,
  dir: string,
  o: { env?: Record<string, string>; args?: string[]; key?: string } = {},
): Promise<ScriptResult> {
  return runScript(o.args ?? ARGS, {
    cwd: dir,
    env: {
      ...awsEnv(url),
      ...s3.env(),
      AWS_ENDPOINT_URL_HEALTH: url,
      AWS_ENDPOINT_URL_STS: url,
      ...(o.key && { AWS_ACCESS_KEY_ID: o.key }),
      ...fakeClock(clock),
      ...o.env,
    },
  });
}

const dirOf = () => mkdtempSync(join(tmpdir(), "s3-backup-"));
const lines = (text: string | undefined): OutputLine[] =>
  (text ?? "")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as OutputLine);
const archived = async () => lines(await s3.text(BUCKET, ARCHIVE_KEY));
const listCalls = (sim: Simulator) => sim.stats.byOperation.DescribeEventsForOrganization ?? 0;

interface StoredRecord {
  version: number;
  from?: string;
  until: string;
  events: number;
  identity: { account: string; destination: string };
}

async function records(): Promise<StoredRecord[]> {
  const keys = (await s3.keys(BUCKET, `${PREFIX}/state/`)).filter((k) => /\/[0-9a-f]{16}\.json$/.test(k));
  return Promise.all(keys.map(async (k) => JSON.parse((await s3.text(BUCKET, k)) ?? "") as StoredRecord));
}

describe("archive: s3://, the script", () => {
  it("first and daily runs: a dated delta each, the archive the latest state, the record in S3 beside it", async () => {
    const sim = await simulator();
    const dir = dirOf();
    const deltaKeys: string[] = [];
    for (const [round, at] of [T1, T1 + DAY, T1 + 2 * DAY].entries()) {
      clock = at;
      sim.advance();
      const run = await backup(sim.url, dir);
      expect(run.code, run.stderr).toBe(0);
      const [record] = await records();
      if (!record?.from) throw new Error("no record in S3 after a complete run");
      expect(record.identity).toMatchObject({
        account: PROD.account,
        destination: `s3://${BUCKET}/${PREFIX}`,
      });
      // The record lives in S3 only: nothing beside the output.
      expect(readdirSync(dir).filter((f) => f.startsWith("health-backfill.last-run."))).toEqual([]);
      // The delta: under the day of the window's end, named by that end and the backup, gzipped.
      const day = new Date(record.until);
      const folder = `${PREFIX}/deltas/year=${day.getUTCFullYear()}/month=${String(day.getUTCMonth() + 1).padStart(2, "0")}/day=${String(day.getUTCDate()).padStart(2, "0")}/`;
      const added = (await s3.keys(BUCKET, `${PREFIX}/deltas/`)).filter((k) => !deltaKeys.includes(k));
      expect(added).toHaveLength(1);
      expect(added[0]).toMatch(new RegExp(`^${folder}\\d{8}T\\d{6}Z-[0-9a-f]{16}\\.ndjson\\.gz$`));
      deltaKeys.push(added[0] as string);
      const stored = lines(await s3.text(BUCKET, added[0] as string)).map(versionOf);
      expect(stored).toEqual(expectedDelta(sim, clock, record.from, record.until));
      expect(stateOf(await archived())).toEqual(latestState(sim));
      expect(run.stderr).toContain(`Stored the delta as s3://${BUCKET}/${added[0]}.`);
      expect(run.stderr).toMatch(
        new RegExp(`Merged into s3://${BUCKET}/${ARCHIVE_KEY}: \\d+ new and \\d+ updated`),
      );
      expect(run.stderr).toContain(
        `Recorded as the last complete run (until ${record.until}) in s3://${BUCKET}/${PREFIX}/state/`,
      );
      if (round > 0) expect(run.stderr).toMatch(/continuing the last complete run/);
    }
  }, 120_000);

  it("weeks without a run: the record in S3 is still there, and the next run continues from it", async () => {
    const sim = await simulator();
    expect((await backup(sim.url, dirOf())).code).toBe(0);
    const [first] = await records();
    clock = T1 + 21 * DAY;
    sim.advance();
    // A fresh runner: nothing local survives, the record comes from S3.
    const run = await backup(sim.url, dirOf());
    expect(run.code, run.stderr).toBe(0);
    const [second] = await records();
    expect(Date.parse(second?.from ?? "")).toBe(Date.parse(first?.until ?? "") - 15 * MINUTE);
    expect(stateOf(await archived())).toEqual(latestState(sim));
  }, 60_000);

  it("two accounts into one archive at once: the one that loses the race merges again, and no update is lost", async () => {
    const prod = await simulator(8, PROD.account);
    const staging = await simulator(21, STAGING.account);
    const router = await accountRouter({ [PROD.key]: prod.url, [STAGING.key]: staging.url });
    closers.push(() => router.close());
    // Both have read the (empty) archive; prod's write waits until staging's is in.
    const held = s3.hold("PutObject", /archive\.ndjson\.gz$/);
    const first = backup(router.url, dirOf(), { key: PROD.key });
    await held.reached;
    const second = await backup(router.url, dirOf(), { key: STAGING.key });
    expect(second.code, second.stderr).toBe(0);
    held.release();
    const late = await first;
    expect(late.code, late.stderr).toBe(0);
    const both = [...latestState(prod), ...latestState(staging)].sort();
    expect(stateOf(await archived()).sort()).toEqual(both);
    const writes = s3.requests.filter((r) => r.op === "PutObject" && r.key === ARCHIVE_KEY);
    // In order of arrival: prod's first write (held, then refused), staging's, prod's second.
    expect(writes.map((w) => w.status)).toEqual([412, 200, 200]);
    expect((await records()).map((r) => r.identity.account).sort()).toEqual([PROD.account, STAGING.account]);
  }, 60_000);

  it("a run that keeps losing the race fails naming the other writer; its window runs again next time", async () => {
    const sim = await simulator();
    expect((await backup(sim.url, dirOf())).code).toBe(0);
    const [before] = await records();
    clock = T1 + HOUR;
    sim.advance();
    s3.fail(["PutObject"], {
      key: /archive\.ndjson\.gz$/,
      status: 412,
      code: "PreconditionFailed",
      times: 5,
    });
    const dir = dirOf();
    const lost = await backup(sim.url, dir);
    expect(lost.code, lost.stderr).toBe(1);
    expect(lost.stderr).toContain(
      `Could not replace s3://${BUCKET}/${ARCHIVE_KEY}: 5 times another run replaced it first (last: the script on `,
    );
    expect(lost.stderr).toContain("the last-run record was not advanced");
    expect(await records()).toEqual([before]);
    const next = await backup(sim.url, dir);
    expect(next.code, next.stderr).toBe(0);
    expect(stateOf(await archived())).toEqual(latestState(sim));
  }, 60_000);

  it("kill -9 at every step of the commit: archive and record stay consistent, and the next run redoes the window", async () => {
    const sim = await simulator();
    const dir = dirOf();
    expect((await backup(sim.url, dir)).code).toBe(0);
    for (const [i, point] of ["s3-delta-stored", "s3-archive-stored", "s3-record-stored"].entries()) {
      clock = T1 + (i + 1) * HOUR;
      sim.advance();
      const [before] = await records();
      const archiveBefore = await s3.etag(BUCKET, ARCHIVE_KEY);
      const killed = await backup(sim.url, dir, { env: { HEALTH_BACKFILL_KILL_AT: `${point}:1` } });
      expect(killed.signal, killed.stderr).toBe("SIGKILL");
      const [after] = await records();
      // The record moves only after the archive is stored, and only the record step moves it.
      if (point === "s3-record-stored") expect(after?.until).not.toBe(before?.until);
      else expect(after).toEqual(before);
      if (point === "s3-delta-stored") expect(await s3.etag(BUCKET, ARCHIVE_KEY)).toBe(archiveBefore);
      // Whatever was stored is a whole archive: every event once.
      const arns = (await archived()).map((l) => l.arn);
      expect(new Set(arns).size).toBe(arns.length);
      const next = await backup(sim.url, dir);
      expect(next.code, next.stderr).toBe(0);
      const [redone] = await records();
      if (point !== "s3-record-stored")
        expect(redone?.from).toBe(new Date(Date.parse(before?.until ?? "") - 15 * MINUTE).toISOString());
      expect(stateOf(await archived())).toEqual(latestState(sim));
    }
  }, 120_000);

  it("killed while the archive is in flight: S3 keeps the old one, the next run finishes the job", async () => {
    const sim = await simulator();
    const dir = dirOf();
    expect((await backup(sim.url, dir)).code).toBe(0);
    clock = T1 + HOUR;
    sim.advance();
    const [before] = await records();
    const archiveBefore = await s3.text(BUCKET, ARCHIVE_KEY);
    const held = s3.hold("PutObject", /archive\.ndjson\.gz$/);
    let kill: (signal: NodeJS.Signals) => void = () => {};
    const run = runScript(ARGS, {
      cwd: dir,
      env: { ...awsEnv(sim.url), ...s3.env(), ...fakeClock(clock) },
      onSpawn: (k) => (kill = k),
    });
    await held.reached;
    // The kill comes while the write waits at the server: it never completes.
    kill("SIGKILL");
    const killed = await run;
    expect(killed.signal).toBe("SIGKILL");
    await new Promise((r) => setTimeout(r, 100)); // the server sees the connection close
    held.release();
    expect(await s3.text(BUCKET, ARCHIVE_KEY)).toBe(archiveBefore);
    expect(await records()).toEqual([before]);
    const next = await backup(sim.url, dir);
    expect(next.code, next.stderr).toBe(0);
    expect(stateOf(await archived())).toEqual(latestState(sim));
  }, 60_000);
});

/** The pending object of layout heidi (prefix/state/<backup>.heidi-pending.json), of the one backup. */
async function pending(): Promise<string | undefined> {
  const keys = (await s3.keys(BUCKET, `${PREFIX}/state/`)).filter((k) => k.endsWith(".heidi-pending.json"));
  expect(keys).toHaveLength(1);
  return s3.text(BUCKET, keys[0] as string);
}

/** Everything under HEIDI's folder, parsed back: one EventBridge record a line. */
async function heidiRecords(): Promise<{ key: string; record: HeidiRecord }[]> {
  const out: { key: string; record: HeidiRecord }[] = [];
  for (const key of await s3.keys(BUCKET, "DataCollection-data/heidi.health/")) {
    for (const line of ((await s3.text(BUCKET, key)) ?? "").split("\n").filter(Boolean))
      out.push({ key, record: JSON.parse(line) as HeidiRecord });
  }
  return out;
}

interface HeidiRecord {
  source: string;
  account: string;
  time: string;
  detail: Record<string, unknown> & { eventArn: string; affectedAccount?: string };
}

/** HEIDI's `date_parse(x, '%a, %e %b %Y %H:%i:%s GMT')`, for the check. */
const rfc1123 = (x: unknown) => (typeof x === "string" ? Date.parse(x) : Number.NaN);
const second = (d: Date) => Math.floor(d.getTime() / 1000) * 1000;

describe("archive: s3:// with layout: heidi", () => {
  it("every version once, where HEIDI's table reads, field by field as the simulator has it, also through kills", async () => {
    const sim = await simulator();
    const dir = dirOf();
    const args = [...ARGS.map((a) => (a === "none" ? "entities" : a)), "--layout", "heidi"];
    // Two hours apart, on events that change every minute: many versions of a run's last 15 minutes
    // are still current in the next run's overlap, and must not reach HEIDI twice.
    for (const at of [T1, T1 + 2 * HOUR, T1 + 4 * HOUR]) {
      clock = at;
      sim.advance();
      const run = await backup(sim.url, dir, { args });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/Stored the delta as s3:\/\/\S+, and \d+ objects? for HEIDI\./);
    }
    const records = await heidiRecords();
    for (const { key, record } of records) {
      const day = new Date(Date.parse(record.time)).toISOString().slice(0, 10).replaceAll("-", "/");
      expect(key).toMatch(
        new RegExp(
          `^DataCollection-data/heidi\\.health/${day}/\\d{8}T\\d{6}Z-[0-9a-f]{16}-\\d+\\.json\\.gz$`,
        ),
      );
      expect(record.source).toBe("heidi.health");
    }
    // Each version of each event and account once: the overlap of the second run is not written again.
    const versions = records.map(({ record: r }) => `${r.detail.eventArn} ${r.account} ${r.time}`);
    expect(new Set(versions).size).toBe(versions.length);
    // HEIDI's query: the newest row per event and account is the simulator's latest version of it.
    const newest = new Map<string, HeidiRecord>();
    for (const { record: r } of records) {
      const id = `${r.detail.eventArn} ${r.detail.affectedAccount ?? r.account}`;
      const held = newest.get(id);
      if (!held || held.time < r.time) newest.set(id, r);
    }
    const truth = new Map(sim.dataset.map((e) => [e.arn, e]));
    expect(new Set([...newest.values()].map((r) => r.detail.eventArn))).toEqual(new Set(truth.keys()));
    for (const r of newest.values()) {
      const e = truth.get(r.detail.eventArn);
      if (!e) throw new Error(`no such event ${r.detail.eventArn}`);
      expect(r.time).toBe(`${e.lastUpdatedTime.toISOString().slice(0, 19)}Z`);
      expect(r.detail).toMatchObject({
        service: e.service,
        eventTypeCode: e.eventTypeCode,
        eventTypeCategory: e.eventTypeCategory,
        eventScopeCode: e.eventScopeCode,
        statusCode: e.statusCode,
        eventRegion: e.region,
      });
      expect(rfc1123(r.detail.lastUpdatedTime)).toBe(second(e.lastUpdatedTime));
      expect(rfc1123(r.detail.startTime)).toBe(second(e.startTime));
      if (e.endTime) expect(rfc1123(r.detail.endTime)).toBe(second(e.endTime));
      if (e.eventScopeCode !== "PUBLIC") expect(e.accounts).toContain(r.detail.affectedAccount);
      const entities = (r.detail.affectedEntities as { entityArn: string }[] | undefined) ?? [];
      const own = e.entities.filter(
        (x) => !r.detail.affectedAccount || x.awsAccountId === r.detail.affectedAccount,
      );
      expect(entities.map((x) => x.entityArn).sort()).toEqual(own.map((x) => x.entityArn).sort());
    }
    // Cut off after its first HEIDI object, then after all of them, before the archive each time: the
    // next run reads back what the cut-off run stored (its names are in the pending object) and writes
    // only the rest.
    for (const [i, point] of ["s3-heidi-object", "s3-heidi-stored"].entries()) {
      clock = T1 + DAY + i * 2 * HOUR;
      sim.advance();
      const killed = await backup(sim.url, dir, { args, env: { HEALTH_BACKFILL_KILL_AT: `${point}:1` } });
      expect(killed.signal, killed.stderr).toBe("SIGKILL");
      expect(await pending()).toMatch(/^\{"runs":\[\{"name":/);
      // The next run comes later, so its window ends later and its objects have names of their own.
      clock += 10 * MINUTE;
      const next = await backup(sim.url, dir, { args });
      expect(next.code, next.stderr).toBe(0);
      expect(await pending()).toBe('{"runs":[]}\n');
    }
    const after = (await heidiRecords()).map(
      ({ record: r }) => `${r.detail.eventArn} ${r.account} ${r.time}`,
    );
    expect(new Set(after).size, "every version once, through both kills").toBe(after.length);
    const have = new Set((await heidiRecords()).map(({ record: r }) => `${r.detail.eventArn} ${r.time}`));
    for (const e of sim.dataset)
      expect(have.has(`${e.arn} ${e.lastUpdatedTime.toISOString().slice(0, 19)}Z`), e.arn).toBe(true);
    expect(stateOf(await archived())).toEqual(latestState(sim));
  }, 120_000);
});

describe("archive: s3://, refusals before the first AWS Health call", () => {
  const cases: { name: string; setup: () => void; code: number; message: RegExp }[] = [
    {
      name: "listing denied",
      setup: () => s3.deny(["ListBucket"]),
      code: 4,
      message:
        /s3:ListBucket s3:\/\/backups was denied: AccessDenied: Access Denied\. Grant the credentials s3:ListBucket on arn:aws:s3:::backups/,
    },
    {
      name: "writing denied",
      setup: () => s3.deny(["PutObject"]),
      code: 4,
      message:
        /s3:PutObject s3:\/\/backups\/health\/org\/state\/[0-9a-f]{16}\.started\.json was denied: .*Grant the credentials s3:PutObject on arn:aws:s3:::backups\/health\/org\/state\//,
    },
    {
      name: "reading denied",
      setup: () => s3.deny(["GetObject"]),
      code: 4,
      message: /s3:GetObject s3:\/\/backups\/health\/org\/state\/[0-9a-f]{16}\.started\.json was denied/,
    },
    {
      name: "the bucket's KMS key denied",
      setup: () =>
        s3.deny(["PutObject"], {
          message:
            "User: arn:aws:sts::111122223333:assumed-role/backup/gh is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:111122223333:key/1234 because no identity-based policy allows the kms:GenerateDataKey action",
        }),
      code: 4,
      message:
        /Grant the credentials kms:GenerateDataKey on the bucket's KMS key \(the bucket encrypts with SSE-KMS\)/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: exit ${c.code}, naming the action and the bucket, and nothing written`, async () => {
      const sim = await simulator();
      const dir = dirOf();
      c.setup();
      const run = await backup(sim.url, dir);
      expect(run.code, run.stderr).toBe(c.code);
      expect(run.stderr).toMatch(c.message);
      expect(listCalls(sim)).toBe(0);
      expect(existsSync(join(dir, "delta.ndjson"))).toBe(false);
    });
  }

  it("layout heidi and no write or read where HEIDI reads: exit 4 before any Health call, and nothing written there", async () => {
    const sim = await simulator();
    // The write, and the read back there of what a run cut off wrote: each refused the same way.
    for (const action of ["PutObject", "GetObject"] as const) {
      s3.deny([action], { key: /^DataCollection-data\// });
      const run = await backup(sim.url, dirOf(), { args: [...ARGS, "--layout", "heidi"] });
      expect(run.code, run.stderr).toBe(4);
      expect(run.stderr).toMatch(
        new RegExp(
          `s3:${action} s3://backups/DataCollection-data/heidi\\.health/\\.health-backfill-access-check was denied: .*Grant the credentials s3:${action} on arn:aws:s3:::backups/DataCollection-data/`,
        ),
      );
      expect(listCalls(sim)).toBe(0);
      s3.clearFaults();
    }
    // Allowed, the check writes nothing there either.
    expect((await backup(sim.url, dirOf(), { args: [...ARGS, "--layout", "heidi"] })).code).toBe(0);
    expect((await s3.keys(BUCKET, "DataCollection-data/")).filter((k) => k.includes("access-check"))).toEqual(
      [],
    );
  });

  it("a bucket that does not exist: exit 2 naming it", async () => {
    const sim = await simulator();
    const dir = dirOf();
    const args = ARGS.map((a) => (a.startsWith("s3://") ? "s3://no-such-bucket/health" : a));
    const run = await backup(sim.url, dir, { args });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(
      "Invalid archive: the bucket no-such-bucket does not exist (s3:ListBucket answered NoSuchBucket).",
    );
    expect(listCalls(sim)).toBe(0);
  });

  it("a malformed archive: exit 2 naming its line, nothing replaced", async () => {
    const sim = await simulator();
    const { gzipSync } = await import("node:zlib");
    await s3.put(
      BUCKET,
      ARCHIVE_KEY,
      gzipSync('{"arn":"a","lastUpdatedTime":"2026-11-01T00:00:00Z"}\nnot json\n'),
    );
    const etag = await s3.etag(BUCKET, ARCHIVE_KEY);
    const run = await backup(sim.url, dirOf());
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`Invalid archive: s3://${BUCKET}/${ARCHIVE_KEY}, line 2, is not JSON`);
    expect(await s3.etag(BUCKET, ARCHIVE_KEY)).toBe(etag);
    expect(listCalls(sim)).toBe(0);
  });
});
