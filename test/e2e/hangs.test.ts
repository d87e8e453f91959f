import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hungEndpoint, tricklingEndpoint } from "../support/endpoints.ts";
import { awsEnv, lastLine, runScript } from "../support/script.ts";

/**
 * An endpoint that never answers in time ends the run by itself (issue "Nothing lost, nothing hung"),
 * through the bundled script. Each test waits out the real deadlines, about two minutes, so the two run
 * side by side, in a file of their own that the other files do not wait behind.
 */
const dirOf = () => mkdtempSync(join(tmpdir(), "hangs-"));
const OUT = ["--output", "out.ndjson"];

describe.concurrent("endpoints that never answer in time", () => {
  it("a hung endpoint ends the run by itself: exit 1, naming the endpoint, output untouched", async () => {
    const hung = await hungEndpoint();
    const dir = dirOf();
    writeFileSync(join(dir, "out.ndjson"), "yesterday's backup\n");
    const started = Date.now();
    const run = await runScript(OUT, { cwd: dir, env: awsEnv(hung.url) });
    const took = Date.now() - started;
    await hung.close();
    expect(run.code, run.stderr).toBe(1);
    expect(lastLine(run)).toMatch(
      new RegExp(
        `no answer from ${hung.url} in time, after every retry \\(TimeoutError\\)\\. No page was saved yet: run the same command again to retry\\.$`,
      ),
    );
    expect(took).toBeLessThan(180_000);
    expect(readFileSync(join(dir, "out.ndjson"), "utf8")).toBe("yesterday's backup\n");
  }, 200_000);

  it("an endpoint that trickles a byte every 5 s ends the run too: exit 1 within 3 minutes, naming it", async () => {
    const trickle = await tricklingEndpoint();
    const dir = dirOf();
    const started = Date.now();
    const run = await runScript(OUT, { cwd: dir, env: awsEnv(trickle.url) });
    const took = Date.now() - started;
    await trickle.close();
    expect(run.code, run.stderr).toBe(1);
    expect(lastLine(run)).toMatch(
      new RegExp(`no answer from ${trickle.url} in time, after every retry \\(TimeoutError\\)\\.`),
    );
    expect(took).toBeLessThan(180_000);
    expect(existsSync(join(dir, "out.ndjson"))).toBe(false);
  }, 200_000);
});
