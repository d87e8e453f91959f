import { spawn } from "node:child_process";
import { join } from "node:path";
import { saveCache } from "@actions/cache";
import { describe, expect, it } from "vitest";
import { quietCache } from "../../src/action/cache/api.ts";
import { CacheOutput, quietly, routeCacheOutput } from "../../src/action/cache/log.ts";
import { capture, withFakeCache, writeTree } from "../fakes/cache/harness.ts";

const fake = withFakeCache();

/** Lines written to stdout that the runner shows without debug logging. */
const visible = (lines: string[]) => lines.filter((l) => !l.startsWith("::debug::"));

describe("quiet cache logs", () => {
  it("the real @actions/cache prints tar commands and progress lines on its own", async () => {
    await writeTree(fake.env.workspace, { "state/a.bin": "x".repeat(10_000) });
    const loud = await capture(() => saveCache([join(fake.env.workspace, "state")], "loud-1"));
    expect(visible(loud.lines).some((l) => l.startsWith("[command]"))).toBe(true);
    expect(visible(loud.lines).some((l) => /^Sent \d+ of \d+/.test(l))).toBe(true);
  });

  it("inside quietly, everything a cache call prints (its child processes and timers too) becomes debug lines", async () => {
    await writeTree(fake.env.workspace, { "state/a.bin": "x".repeat(10_000) });
    const paths = [join(fake.env.workspace, "state")];
    const ticks = setInterval(() => process.stdout.write("the backfill goes on\n"), 2);
    const quiet = await capture(async () => {
      const unroute = routeCacheOutput();
      try {
        const saved = await quietCache.save(paths, "quiet-1");
        fake.service.readOnly = true;
        const refused = await quietCache.save(paths, "quiet-2");
        return { saved, refused };
      } finally {
        unroute();
        clearInterval(ticks);
      }
    });
    // What was not the cache's passes unchanged; the cache's lines are debug lines, but for the masks
    // of its signed URLs, which must reach the runner as they are.
    const shown = visible(quiet.lines);
    expect(new Set(shown.filter((l) => !l.startsWith("::add-mask::")))).toEqual(
      new Set(["the backfill goes on"]),
    );
    expect(shown).toContainEqual(expect.stringMatching(/^::add-mask::[0-9a-f]{32}$/));
    expect(quiet.lines).toContainEqual(expect.stringMatching(/^::debug::\[command\].*tar/));
    expect(quiet.lines).toContainEqual(expect.stringMatching(/^::debug::Sent \d+ of \d+/));
    expect(quiet.value.saved).toMatchObject({ stored: true, archiveBytes: expect.any(Number) });
    // The library's warning becomes the reason the caller words its own warning with, said plainly.
    expect(quiet.value.refused).toMatchObject({
      stored: false,
      reason: "read-only for this workflow run: cache write denied",
    });
  });

  it("passes other workflow commands (the mask of a signed URL) unchanged, and turns warnings into debug lines", async () => {
    const output = new CacheOutput();
    const shown = await capture(async () => {
      const unroute = routeCacheOutput();
      try {
        await quietly(output, async () => {
          process.stdout.write("::add-mask::s3cr3t\n::warning::Failed to save: nope\nplain 100%\n");
          await new Promise<void>((resolve) => {
            const child = spawn("echo", ["from a child"], { stdio: ["ignore", "pipe", "ignore"] });
            child.stdout.on("data", (chunk: Buffer) => process.stdout.write(chunk));
            child.on("close", () => resolve());
          });
        });
      } finally {
        unroute();
      }
    });
    expect(shown.lines).toEqual([
      "::add-mask::s3cr3t",
      "::debug::warning: Failed to save: nope",
      "::debug::plain 100%25",
      "::debug::from a child",
    ]);
    expect(output.reason()).toBe("Failed to save: nope");
  });
});
