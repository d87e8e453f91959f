// npm run demo: the point of the tool in one command. A simulated backfill is interrupted with Ctrl-C
// (SIGINT) after a few pages; the same command, run again, resumes from the checkpoint; the output
// then holds every event exactly once. Uses the bundled program (dist/index.js), as users run it.
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";

const EVENTS = 3000;
const output = ".demo/health-events.ndjson";
const args = ["dist/index.js", "--simulate", String(EVENTS), "--since", "90d", "--output", output];

function step(title: string, interruptAfterPage?: number): Promise<number | null> {
  process.stderr.write(`\n$ node ${args.join(" ")}    # ${title}\n`);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "inherit", "pipe"] });
  let seen = "";
  child.stderr.on("data", (chunk: Buffer) => {
    process.stderr.write(chunk);
    seen += chunk.toString();
    if (interruptAfterPage !== undefined && seen.includes(`page ${interruptAfterPage}:`) && !child.killed) {
      process.stderr.write("^C  (the demo presses Ctrl-C)\n");
      child.kill("SIGINT");
    }
  });
  return new Promise((resolve) => child.on("close", (code) => resolve(code)));
}

rmSync(".demo", { recursive: true, force: true });
const first = await step("first run, interrupted", 8);
process.stderr.write(`exit status ${first}\n`);
const second = await step("the same command again: it resumes");
process.stderr.write(`exit status ${second}\n`);
const lines = readFileSync(output, "utf8").split("\n").filter(Boolean);
const arns = new Set(lines.map((line) => (JSON.parse(line) as { arn: string }).arn));
process.stderr.write(
  `\n${output}: ${lines.length} lines, ${arns.size} distinct events: ${
    lines.length === arns.size ? "every event exactly once" : "DUPLICATES FOUND"
  }.\n`,
);
if (first !== 130 || second !== 0 || lines.length !== arns.size || lines.length === 0) process.exitCode = 1;
