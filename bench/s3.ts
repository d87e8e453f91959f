// BENCH_ONLY=s3: the S3 archive's commit against the local merge-into plus a plain upload (issue 17:
// "merging and uploading a 100,000-event archive stays within 2x"). Both sides talk to the same test S3
// server (s3rver behind test/support/s3.ts) through the product's S3 client.
import { createHash } from "node:crypto";
import { closeSync, copyFileSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { createGunzip, gzipSync } from "node:zlib";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { parseS3Location } from "../src/config/s3-location.ts";
import { ArchiveFile, type MergeResult } from "../src/local/archive.ts";
import { ARCHIVE_NAME, S3Archive } from "../src/s3/archive.ts";
import { createS3Client } from "../src/s3/client.ts";
import {
  compareEvents,
  generateDataset,
  generateNewerEvents,
  type SimEvent,
} from "../src/simulator/dataset.ts";
import { expectedRecord } from "../test/support/expected.ts";
import { startS3 } from "../test/support/s3.ts";

const EVENTS = Number(process.env.BENCH_S3_EVENTS ?? 100_000);
const CHANGED = Number(process.env.BENCH_S3_CHANGED ?? 1_000);
const RUNS = Number(process.env.BENCH_S3_RUNS ?? 3);
const BUCKET = "bench";
const LOCATION = parseS3Location(`s3://${BUCKET}/health/org`);
const ANCHOR = Date.UTC(2026, 11, 1);
const WINDOW_TO = new Date(ANCHOR + 86_400_000).toISOString();

/** The line a `details: description` backfill writes for a simulated event (no entities). */
function line(e: SimEvent): string {
  const { entities: _, ...record } = expectedRecord(e);
  return `${JSON.stringify(record)}\n`;
}

function writeLines(path: string, events: readonly SimEvent[]): void {
  const fd = openSync(path, "w");
  for (let i = 0; i < events.length; i += 1000)
    writeSync(
      fd,
      events
        .slice(i, i + 1000)
        .map(line)
        .join(""),
    );
  closeSync(fd);
}

async function sha256(body: Readable): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of body) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function stats(ms: number[]): { min: number; median: number; max: number; text: string } {
  const s = [...ms].sort((a, b) => a - b);
  const [min, median, max] = [s[0] ?? 0, s[Math.floor(s.length / 2)] ?? 0, s.at(-1) ?? 0];
  const text = `min ${(min / 1000).toFixed(2)} s, median ${(median / 1000).toFixed(2)} s, max ${(max / 1000).toFixed(2)} s`;
  return { min, median, max, text };
}

function check(merged: MergeResult, side: string): void {
  if (merged.events !== EVENTS + CHANGED || merged.added !== CHANGED || merged.updated !== CHANGED)
    throw new Error(`${side}: merged ${JSON.stringify(merged)}, expected ${CHANGED} added and updated`);
}

export async function s3Bench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-s3-"));
  const s3 = await startS3([BUCKET]);
  const saved = { ...process.env };
  Object.assign(process.env, s3.env(), { RUNNER_TEMP: dir });
  try {
    // The archive: newest lastUpdatedTime first, as merge-into keeps it. The delta of a daily run:
    // CHANGED existing events updated after the archive's newest, and CHANGED new ones.
    const dataset = generateDataset({ events: EVENTS, seed: 42, accounts: 25, anchor: ANCHOR });
    const original = join(dir, "original.ndjson");
    writeLines(original, dataset);
    const step = Math.floor(EVENTS / CHANGED);
    const updated = Array.from({ length: CHANGED }, (_, i) => {
      const e = dataset[i * step] as SimEvent;
      return { ...e, lastUpdatedTime: new Date(ANCHOR + 1 + i * 2500), statusCode: "closed" as const };
    });
    const fresh = generateNewerEvents({ seed: 42, accounts: 25 }, EVENTS, ANCHOR, CHANGED);
    const delta = join(dir, "delta.ndjson");
    writeLines(delta, [...updated, ...fresh].sort(compareEvents));
    const gz = gzipSync(await readFile(original));
    const raw = (await stat(original)).size;
    const archiveKey = `${LOCATION.prefix}/${ARCHIVE_NAME}`;
    const local = join(dir, "local.ndjson");
    let expected = "";
    const base: number[] = [];
    const remote: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      // Local merge-into on a fresh copy, then a plain (not gzipped) upload of the merged bytes.
      copyFileSync(original, local);
      let started = performance.now();
      const file = new ArchiveFile(local);
      await file.prepare();
      check(await file.merge(delta), "merge-into");
      const client = createS3Client();
      await new Upload({
        client,
        params: {
          Bucket: BUCKET,
          Key: `${LOCATION.prefix}/plain/archive.ndjson`,
          Body: createReadStream(local),
        },
        partSize: 16 << 20,
        queueSize: 4,
      }).done();
      client.destroy();
      base.push(performance.now() - started);
      if (run === 0) expected = await sha256(createReadStream(local));

      // The S3 archive as the product runs it (see openS3Backup): prepare (checks, downloads and checks
      // the archive), then commit (stores the delta, merges, replaces the archive conditionally).
      await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: archiveKey, Body: gz }));
      started = performance.now();
      const s3Client = createS3Client();
      const archive = new S3Archive({
        client: s3Client,
        location: LOCATION,
        identity: { account: "111122223333", endpoint: "bench", destination: LOCATION.url, query: "bench" },
        layout: "standard",
        writer: "bench",
        signal: new AbortController().signal,
      });
      await archive.prepare();
      check((await archive.commit(delta, WINDOW_TO)).merged, "S3 archive");
      await archive.close();
      s3Client.destroy();
      remote.push(performance.now() - started);
      const got = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: archiveKey }));
      const actual = await sha256((got.Body as Readable).pipe(createGunzip()));
      if (actual !== expected) throw new Error(`run ${run + 1}: the S3 archive differs from the local merge`);
    }
    const merged = (await stat(local)).size;
    const a = stats(base);
    const b = stats(remote);
    console.log(
      `S3 archive, ${EVENTS} events (details description, ${(raw / 1e6).toFixed(1)} MB, gzipped ` +
        `${(gz.length / 1e6).toFixed(1)} MB) + delta of ${CHANGED} updated and ${CHANGED} new events ` +
        `(merged ${(merged / 1e6).toFixed(1)} MB), ${RUNS} runs each, alternating`,
    );
    console.log(`  local merge-into + plain upload: ${a.text}`);
    console.log(
      `  S3 archive prepare + commit:     ${b.text}; merged archive in S3 = local merge (sha256 ${expected.slice(0, 16)})`,
    );
    console.log(`  ratio of medians ${(b.median / a.median).toFixed(2)} (target <= 2)`);
  } finally {
    process.env = saved;
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
