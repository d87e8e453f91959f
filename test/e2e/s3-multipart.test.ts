import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Location } from "../../src/config/s3-location.ts";
import type { BackupIdentity } from "../../src/engine/record.ts";
import { S3Archive } from "../../src/s3/archive.ts";
import { startS3, type TestS3 } from "../support/s3.ts";

/**
 * The archive when it goes up in parts. The product's parts are 16 MiB, so only an archive of over
 * 16 MiB gzipped (some 200,000 events with descriptions) takes that path; here S3Archive is driven in
 * this process with S3's least part size, 5 MiB, and events whose descriptions are random bytes, so
 * that about 9 MB gzipped make two parts. The S3 server is s3rver behind the test layer, which holds
 * CompleteMultipartUpload to If-Match / If-None-Match as S3 does (test/support/s3.ts).
 */
const MiB = 1 << 20;
const location: S3Location = { bucket: "bucket", prefix: "health", url: "s3://bucket/health" };
const identity: BackupIdentity = {
  account: "111122223333",
  endpoint: "https://health.us-east-1.amazonaws.com",
  destination: location.url,
  query: "0123456789abcdef",
};
const ARCHIVE_KEY = "health/archive/archive.ndjson.gz";

let s3: TestS3;
let client: S3Client;
let dir: string;
beforeAll(async () => {
  s3 = await startS3(["bucket"]);
  client = s3.layerClient();
  dir = await mkdtemp(join(tmpdir(), "s3-multipart-"));
});
afterAll(async () => {
  client.destroy();
  await s3.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Output lines of `count` events named `name-<i>`, updated at `updated`, each with 4 KB of noise. */
function events(name: string, count: number, updated: string): string[] {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      arn: `arn:aws:health:us-east-1::event/EC2/AWS_EC2_TEST/${name}-${i}`,
      lastUpdatedTime: updated,
      details: [{ latestDescription: randomBytes(3000).toString("base64") }],
    }),
  );
}

let deltas = 0;
async function delta(lines: readonly string[]): Promise<string> {
  const path = join(dir, `delta-${++deltas}.ndjson`);
  await writeFile(path, `${lines.join("\n")}\n`);
  return path;
}

function archive(options: { signal?: AbortSignal; probe?: (point: string) => void } = {}): S3Archive {
  return new S3Archive({
    client,
    location,
    identity,
    layout: "standard",
    writer: "the multipart test",
    signal: options.signal ?? new AbortController().signal,
    probe: options.probe,
    partSize: 5 * MiB,
  });
}

/** The archive in S3 as a map of arn to line. */
async function archived(): Promise<Map<string, string>> {
  const text = (await s3.text("bucket", ARCHIVE_KEY)) ?? "";
  const lines = text.split("\n").filter(Boolean);
  const map = new Map(lines.map((line) => [(JSON.parse(line) as { arn: string }).arn, line]));
  expect(map.size, "every event once").toBe(lines.length);
  return map;
}

/** The archive's requests of the layer since `from`: operation and status. */
const archiveWrites = (from: number) =>
  s3.requests
    .slice(from)
    .filter((r) => r.key === ARCHIVE_KEY && r.op !== "GetObject")
    .map((r) => `${r.op} ${r.status}`);

describe("the S3 archive in parts", () => {
  const first = events("first", 3000, "2026-11-01T00:00:00.000Z");

  it("creates the archive in parts", async () => {
    const from = s3.requests.length;
    const a = archive();
    await a.prepare();
    await a.commit(await delta(first), "2026-11-02T00:00:00.000Z");
    await a.close();
    expect(archiveWrites(from)).toEqual([
      "CreateMultipartUpload 200",
      "UploadPart 200",
      "UploadPart 200",
      "CompleteMultipartUpload 200",
    ]);
    const kept = await archived();
    expect(kept.size).toBe(first.length);
    for (const line of first) expect(kept.get((JSON.parse(line) as { arn: string }).arn)).toBe(line);
  }, 60_000);

  it("loses no update when another run replaces it while its parts are in flight", async () => {
    const slow = archive();
    await slow.prepare();
    const from = s3.requests.length;
    // The slow run's completion waits at the server while the other run reads, merges and replaces.
    const held = s3.hold("CompleteMultipartUpload", /archive\.ndjson\.gz$/);
    const ours = events("ours", 50, "2026-11-03T00:00:00.000Z");
    const updated = events("first", 10, "2026-11-04T00:00:00.000Z");
    const committing = slow.commit(await delta([...ours, ...updated]), "2026-11-04T00:00:00.000Z");
    await held.reached;
    const fast = archive();
    await fast.prepare();
    const theirs = events("theirs", 50, "2026-11-03T00:00:00.000Z");
    await fast.commit(await delta(theirs), "2026-11-03T00:00:00.000Z");
    await fast.close();
    held.release();
    const { merged } = await committing;
    await slow.close();
    const kept = await archived();
    expect(kept.size).toBe(first.length + theirs.length + ours.length);
    expect(merged.events).toBe(kept.size);
    for (const line of [...theirs, ...ours, ...updated])
      expect(kept.get((JSON.parse(line) as { arn: string }).arn)).toBe(line);
    // In order of arrival: the held completion, which named the version the slow run had read and was
    // refused once released; the other run's; the slow run's after it read the other's archive, merged
    // again and uploaded anew.
    expect(archiveWrites(from).filter((w) => w.startsWith("CompleteMultipartUpload"))).toEqual([
      "CompleteMultipartUpload 412",
      "CompleteMultipartUpload 200",
      "CompleteMultipartUpload 200",
    ]);
  }, 60_000);

  it("a 409 ConditionalRequestConflict at completion starts the upload again, and loses nothing", async () => {
    // S3's answer when another write to the key is under way as the upload completes: re-initiate it.
    s3.fail(["CompleteMultipartUpload"], {
      key: /archive\.ndjson\.gz$/,
      status: 409,
      code: "ConditionalRequestConflict",
    });
    const before = await archived();
    const a = archive();
    await a.prepare();
    const from = s3.requests.length;
    const more = events("conflict", 30, "2026-11-04T12:00:00.000Z");
    await a.commit(await delta(more), "2026-11-04T12:00:00.000Z");
    await a.close();
    const kept = await archived();
    expect(kept.size).toBe(before.size + more.length);
    for (const line of more) expect(kept.get((JSON.parse(line) as { arn: string }).arn)).toBe(line);
    const starts = archiveWrites(from).filter((w) => w.startsWith("CreateMultipartUpload"));
    expect(starts).toHaveLength(2);
    expect(archiveWrites(from).filter((w) => w.startsWith("CompleteMultipartUpload"))).toEqual([
      "CompleteMultipartUpload 409",
      "CompleteMultipartUpload 200",
    ]);
  }, 60_000);

  it("cut off after its first part, leaves the archive as it was", async () => {
    const before = await s3.etag("bucket", ARCHIVE_KEY);
    const beforeText = await s3.text("bucket", ARCHIVE_KEY);
    const controller = new AbortController();
    let parts = 0;
    const a = archive({
      signal: controller.signal,
      probe: (point) => {
        if (point === "s3-archive-part" && ++parts === 1) controller.abort(new Error("cut off"));
      },
    });
    await a.prepare();
    const from = s3.requests.length;
    await expect(
      a.commit(await delta(events("lost", 20, "2026-11-05T00:00:00.000Z")), "2026-11-05T00:00:00.000Z"),
    ).rejects.toThrow();
    await a.close();
    expect(parts).toBeGreaterThan(0);
    expect(archiveWrites(from)).toContain("CreateMultipartUpload 200");
    expect(archiveWrites(from)).not.toContain("CompleteMultipartUpload 200");
    expect(await s3.etag("bucket", ARCHIVE_KEY)).toBe(before);
    expect(await s3.text("bucket", ARCHIVE_KEY)).toBe(beforeText);
  }, 60_000);
});
