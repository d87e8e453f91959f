import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.ts";
import { backfill, type Reporter, type ResumeInfo } from "../../src/engine/backfill.ts";
import type { Checkpoint } from "../../src/engine/checkpoint.ts";
import { BackfillFailedError, CheckpointRefusedError, InterruptedError } from "../../src/errors.ts";
import { FileCheckpointStore } from "../../src/local/checkpoint-file.ts";
import { NdjsonFileSink } from "../../src/local/output.ts";
import { fails } from "../support/usage.ts";
import { MemorySource } from "./memory-source.ts";

let dir: string;
let output: string;
let checkpoint: string;
let now: number;
let resumes: ResumeInfo[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "engine-"));
  output = join(dir, "out.ndjson");
  checkpoint = join(dir, "out.ndjson.checkpoint.json");
  now = Date.parse("2026-11-26T12:00:00Z");
  resumes = [];
});

const reporter: Reporter = {
  resumed: (i) => resumes.push(i),
  restarted: () => {},
  setAside: () => {},
  continued: () => {},
  window: () => {},
  page: () => {},
};

function options(raw: Record<string, string> = {}, restart = false) {
  const config = parseConfig({ "page-size": "10", ...raw }, { now, readFile: () => "" });
  return {
    query: config.query,
    maxCheckpointAgeMs: config.maxCheckpointAgeMs,
    restart,
    lastRun: config.lastRun,
    expiredLastRun: "refuse" as const,
    expired: config.expired,
  };
}

function run(
  source: MemorySource,
  raw: Record<string, string> = {},
  extra: { restart?: boolean; signal?: AbortSignal } = {},
) {
  return backfill(options(raw, extra.restart), {
    source,
    sink: new NdjsonFileSink(output),
    store: new FileCheckpointStore(checkpoint),
    clock: () => now,
    reporter,
    signal: extra.signal ?? new AbortController().signal,
  });
}

const lines = () =>
  readFileSync(output, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { arn: string; n: number });
const saved = () => JSON.parse(readFileSync(checkpoint, "utf8")) as Checkpoint;
const arns = (source: MemorySource) => source.events.map((e) => e.arn);

describe("backfill", () => {
  it("writes every event once, in order, and removes the checkpoint", async () => {
    const source = new MemorySource(95);
    const result = await run(source);
    expect(lines().map((l) => l.arn)).toEqual(arns(source));
    expect(result).toMatchObject({ events: 95, pages: 10, resumed: undefined });
    expect(existsSync(checkpoint)).toBe(false);
  });

  it("saves after each page and resumes from the last one after a failure", async () => {
    const source = new MemorySource(95);
    source.failAt.set(4, new Error("boom"));
    const error = await fails(run(source));
    expect(error).toBeInstanceOf(BackfillFailedError);
    expect(error.message).toBe("boom.");
    expect(error).toMatchObject({ failureClass: "transient", saved: { pages: 3, events: 30 } });
    const cp = saved();
    expect(cp).toMatchObject({ version: 2, nextToken: "t30", processedCount: 30, pages: 3 });
    expect(cp.output.bytes).toBe(statSync(output).size);
    expect(cp.request.filter).toEqual({ lastUpdatedTime: { to: new Date(now).toISOString() } });
    const result = await run(source);
    expect(result.resumed).toMatchObject({ page: 4, events: 30 });
    expect(result).toMatchObject({ events: 95, pages: 10, newEvents: 65 });
    expect(lines().map((l) => l.arn)).toEqual(arns(source));
  });

  it("cuts the output back to the checkpoint, so a page written after it is not duplicated", async () => {
    const source = new MemorySource(50);
    source.failAt.set(3, new Error("lost"));
    await fails(run(source));
    appendFileSync(
      output,
      `${JSON.stringify({ arn: "arn:aws:health:us-east-1::event/E20", n: 20 })}\n{"arn":"half a li`,
    );
    await run(source);
    expect(lines().map((l) => l.arn)).toEqual(arns(source));
  });

  it("resumes with the stored request, not a re-resolved one", async () => {
    const source = new MemorySource(40);
    source.failAt.set(2, new Error("x"));
    await fails(run(source, { since: "90d" }));
    const first = saved().request;
    now += 3600_000;
    const result = await run(source, { since: "90d" });
    expect(result.request).toEqual(first);
  });

  it("refuses a checkpoint of another query, before any API call, and deletes nothing", async () => {
    const source = new MemorySource(40);
    source.failAt.set(2, new Error("x"));
    await fails(run(source));
    const before = [readFileSync(checkpoint, "utf8"), readFileSync(output, "utf8")];
    const calls = source.calls;
    const error = await fails(run(source, { details: "none" }));
    expect(error).toBeInstanceOf(CheckpointRefusedError);
    expect(error).toMatchObject({ reason: "other-query" });
    expect(error.message).toMatch(/belongs to a different query/);
    expect(source.calls).toBe(calls);
    expect([readFileSync(checkpoint, "utf8"), readFileSync(output, "utf8")]).toEqual(before);
  });

  it("refuses a checkpoint older than max-checkpoint-age before any API call", async () => {
    const source = new MemorySource(40);
    source.failAt.set(2, new Error("x"));
    await fails(run(source));
    now += 25 * 3600_000;
    const calls = [source.calls, source.preflights];
    const error = await fails(run(source));
    expect(error).toBeInstanceOf(CheckpointRefusedError);
    expect(error).toMatchObject({ reason: "expired" });
    expect(error.message).toMatch(/is 25\.0 hours old .*the limit is 24\.0 hours/);
    expect([source.calls, source.preflights]).toEqual(calls);
    expect(existsSync(checkpoint)).toBe(true);
    // A larger limit is the user's decision: the same checkpoint then resumes.
    const result = await run(source, { "max-checkpoint-age": "36h" });
    expect(result.resumed).toMatchObject({ page: 2 });
    expect(lines().map((l) => l.arn)).toEqual(arns(source));
  });

  it("refuses an unreadable checkpoint and an output shorter than recorded", async () => {
    const source = new MemorySource(40);
    writeFileSync(checkpoint, "{ not json");
    const unreadable = await fails(run(source));
    expect(unreadable).toBeInstanceOf(CheckpointRefusedError);
    expect(unreadable).toMatchObject({ reason: "unreadable" });
    expect(unreadable.message).toMatch(/is unreadable: it is not a JSON object\.$/);
    expect(readFileSync(checkpoint, "utf8")).toBe("{ not json");

    writeFileSync(checkpoint, "");
    source.failAt.set(source.calls + 3, new Error("x"));
    await fails(run(source, {}, { restart: true }));
    writeFileSync(output, "");
    const shorter = await fails(run(source));
    expect(shorter).toBeInstanceOf(CheckpointRefusedError);
    expect(shorter.message).toMatch(/has 0 bytes, but the checkpoint recorded \d+ bytes/);
    expect(existsSync(checkpoint)).toBe(true);
  });

  it("a token the API refuses on resume, over an output that cannot be continued by time, is a refused checkpoint", async () => {
    // MemorySource's events carry no lastUpdatedTime: the output's end is no cursor (see by-time.test.ts).
    const source = new MemorySource(40);
    source.failAt.set(2, new Error("x"));
    await fails(run(source));
    source.invalidTokens.add(saved().nextToken);
    const error = await fails(run(source));
    expect(error).toBeInstanceOf(CheckpointRefusedError);
    expect(error).toMatchObject({ reason: "output-changed" });
    expect(error.message).toMatch(/cannot be continued by time/);
    expect(existsSync(checkpoint)).toBe(true);
  });

  it("a refused token on resume that cannot continue by time leaves both files byte for byte, with an extra half page still there", async () => {
    const source = new MemorySource(40);
    source.failAt.set(3, new Error("x"));
    await fails(run(source));
    appendFileSync(output, '{"arn":"half a li');
    const before = [readFileSync(checkpoint), readFileSync(output)];
    source.invalidTokens.add(saved().nextToken);
    await fails(run(source));
    expect([readFileSync(checkpoint), readFileSync(output)]).toEqual(before);
  });

  it("a start that fails before the first page leaves a complete output as it was", async () => {
    const source = new MemorySource(30);
    await run(source);
    const complete = readFileSync(output);
    for (const failure of [new Error("preflight"), new Error("first list")]) {
      const broken = new MemorySource(30);
      if (failure.message === "preflight") broken.preflight = async () => Promise.reject(failure);
      else for (const call of [1, 2]) broken.failAt.set(call, failure);
      for (const restart of [false, true]) {
        const error = await fails(run(broken, {}, { restart }));
        expect(error).toMatchObject({ saved: { pages: 0 } });
        expect(readFileSync(output)).toEqual(complete);
        expect(existsSync(checkpoint)).toBe(false);
      }
    }
  });

  it("restart keeps the old checkpoint until the first page of the new backfill arrives", async () => {
    const source = new MemorySource(40);
    source.failAt.set(3, new Error("x"));
    await fails(run(source));
    const before = [readFileSync(checkpoint), readFileSync(output)];
    const broken = new MemorySource(40);
    broken.failAt.set(1, new Error("no page"));
    await fails(run(broken, {}, { restart: true }));
    expect([readFileSync(checkpoint), readFileSync(output)]).toEqual(before);
    const result = await run(source);
    expect(result.resumed).toMatchObject({ page: 3 });
  });

  it("refuses a checkpoint recorded for another output, and one whose output no longer ends a line there", async () => {
    const source = new MemorySource(40);
    source.failAt.set(3, new Error("x"));
    await fails(run(source));
    const other = backfill(options(), {
      source,
      sink: new NdjsonFileSink(join(dir, "other.ndjson")),
      store: new FileCheckpointStore(checkpoint),
      clock: () => now,
      reporter,
      signal: new AbortController().signal,
    });
    expect(await fails(other)).toMatchObject({ reason: "other-output" });
    // The same file, spelled differently, is the same output.
    const cp = saved();
    writeFileSync(
      checkpoint,
      JSON.stringify({ ...cp, output: { ...cp.output, path: join(dir, ".", "x", "..", "out.ndjson") } }),
    );
    const text = readFileSync(output, "utf8");
    writeFileSync(output, `${text.slice(0, cp.output.bytes - 1)}X${text.slice(cp.output.bytes)}`);
    expect(await fails(run(source))).toMatchObject({ reason: "output-changed" });
    writeFileSync(output, text);
    expect((await run(source)).resumed).toMatchObject({ page: 3 });
  });

  it("records the last event written, and refuses an output whose line there is another event", async () => {
    const source = new MemorySource(60);
    source.failAt.set(4, new Error("x"));
    await fails(run(source));
    const cp = saved();
    expect(cp).toMatchObject({ version: 2, pages: 3, output: { lastArn: arns(source)[29] } });
    // Swap the last two lines: the same length and a line end at the same byte, but another event.
    const text = readFileSync(output, "utf8");
    const rows = text.slice(0, cp.output.bytes).split("\n");
    const [a, b] = [rows.at(-3) as string, rows.at(-2) as string];
    const swapped = `${rows.slice(0, -3).join("\n")}\n${b}\n${a}\n${text.slice(cp.output.bytes)}`;
    writeFileSync(output, swapped);
    const calls = source.calls;
    const error = await fails(run(source));
    expect(error).toBeInstanceOf(CheckpointRefusedError);
    expect(error).toMatchObject({ reason: "output-changed" });
    expect(error.message).toContain(
      `the event the checkpoint recorded last (${arns(source)[29]}) but with ${arns(source)[28]}`,
    );
    expect(source.calls).toBe(calls);
    expect(readFileSync(output, "utf8")).toBe(swapped);
    expect(readFileSync(checkpoint, "utf8")).toBe(`${JSON.stringify(cp, null, 2)}\n`);
    writeFileSync(output, text);
    expect((await run(source)).resumed).toMatchObject({ page: 4 });
    expect(lines().map((l) => l.arn)).toEqual(arns(source));
  });

  it("finds the last line however long it is", async () => {
    const source = new MemorySource(30);
    for (const e of source.events) Object.assign(e, { padding: "x".repeat(150_000) });
    source.failAt.set(3, new Error("x"));
    await fails(run(source));
    expect((await run(source)).resumed).toMatchObject({ page: 3 });
    expect(lines().map((l) => l.arn)).toEqual(arns(source));
  });

  it("still resumes a version 1 checkpoint (earlier release, no lastArn), with the line-end check", async () => {
    const source = new MemorySource(40);
    source.failAt.set(3, new Error("x"));
    await fails(run(source));
    const { lastArn: _, ...output1 } = saved().output;
    writeFileSync(checkpoint, JSON.stringify({ ...saved(), version: 1, output: output1 }));
    expect((await run(source)).resumed).toMatchObject({ page: 3 });
    expect(lines().map((l) => l.arn)).toEqual(arns(source));
  });

  it("refuses a version 2 checkpoint that names no last event although the output has some", async () => {
    const source = new MemorySource(40);
    source.failAt.set(3, new Error("x"));
    await fails(run(source));
    const { lastArn: _, ...output1 } = saved().output;
    writeFileSync(checkpoint, JSON.stringify({ ...saved(), output: output1 }));
    const error = await fails(run(source));
    expect(error).toMatchObject({ reason: "unreadable" });
    expect(error.message).toMatch(/output\.lastArn is missing/);
  });

  it("after a failed checkpoint write, the error tells the page the checkpoint holds", async () => {
    const source = new MemorySource(60);
    const store = new FileCheckpointStore(checkpoint);
    let saves = 0;
    const full = Object.assign(Object.create(store) as FileCheckpointStore, {
      save: (cp: Checkpoint) =>
        ++saves === 4 ? Promise.reject(new Error("ENOSPC: no space left on device")) : store.save(cp),
    });
    const error = await fails(
      backfill(options(), {
        source,
        sink: new NdjsonFileSink(output),
        store: full,
        clock: () => now,
        reporter,
        signal: new AbortController().signal,
      }),
    );
    expect(error).toMatchObject({ saved: { pages: 3, events: 30 } });
    expect(saved().pages).toBe(3);
    const result = await run(source);
    expect(result.resumed).toMatchObject({ page: 4 });
    expect(lines().map((l) => l.arn)).toEqual(arns(source));
  });

  it("restart discards the checkpoint and the partial output", async () => {
    const source = new MemorySource(40);
    source.failAt.set(2, new Error("x"));
    await fails(run(source));
    const result = await run(source, {}, { restart: true });
    expect(result.resumed).toBeUndefined();
    expect(lines().map((l) => l.arn)).toEqual(arns(source));
  });

  it("stops on a repeated token or an endless run of empty pages instead of looping", async () => {
    const repeat = new MemorySource(40);
    repeat.repeatToken = true;
    expect((await fails(run(repeat))).message).toMatch(/same pagination token twice/);
    const empty = new MemorySource(40);
    empty.emptyPages = 1;
    expect((await fails(run(empty, {}, { restart: true }))).message).toMatch(/101 empty pages in a row/);
    expect(empty.calls).toBeLessThan(110);
  });

  it("stops when interrupted, keeps the last checkpoint, and resumes", async () => {
    const source = new MemorySource(200);
    const controller = new AbortController();
    const pages: number[] = [];
    const promise = backfill(options(), {
      source,
      sink: new NdjsonFileSink(output),
      store: new FileCheckpointStore(checkpoint),
      clock: () => now,
      reporter: {
        ...reporter,
        page: (p) => {
          pages.push(p.pages);
          if (p.pages === 5) controller.abort();
        },
      },
      signal: controller.signal,
    });
    const error = await fails(promise);
    expect(error).toBeInstanceOf(InterruptedError);
    expect(error.message).toMatch(/^Interrupted after page \d+; progress is saved in /);
    expect(saved().pages).toBeGreaterThanOrEqual(5);
    await run(source);
    expect(lines().map((l) => l.arn)).toEqual(arns(source));
  });
});
